#include "core/vocabulary.h"

#include <array>
#include <utility>

namespace subcheck {
namespace {

// One table per enum: the spelling of every value, in one place for both directions.
template <typename Enum, std::size_t N>
using Spellings = std::array<std::pair<Enum, std::string_view>, N>;

template <typename Enum, std::size_t N>
std::string_view spelling_of(const Spellings<Enum, N>& table, Enum value) {
  for (const auto& [candidate, text] : table) {
    if (candidate == value) return text;
  }
  return "unknown";
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_of(const Spellings<Enum, N>& table, std::string_view text) {
  for (const auto& [candidate, spelled] : table) {
    if (spelled == text) return candidate;
  }
  return std::nullopt;
}

constexpr Spellings<InitStyle, 4> kInitStyles{{
    {InitStyle::unknown, "unknown"},
    {InitStyle::single_phase, "single-phase"},
    {InitStyle::multi_phase, "multi-phase"},
    {InitStyle::export_hook, "export"},
}};

constexpr Spellings<MultipleInterpreters, 6> kMultipleInterpreters{{
    {MultipleInterpreters::absent, "absent"},
    {MultipleInterpreters::unknown, "unknown"},
    {MultipleInterpreters::not_supported, "Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED"},
    {MultipleInterpreters::supported, "Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED"},
    {MultipleInterpreters::per_interpreter_gil_supported, "Py_MOD_PER_INTERPRETER_GIL_SUPPORTED"},
    {MultipleInterpreters::other, "other"},
}};

constexpr Spellings<GilDeclaration, 5> kGilDeclarations{{
    {GilDeclaration::absent, "absent"},
    {GilDeclaration::unknown, "unknown"},
    {GilDeclaration::used, "Py_MOD_GIL_USED"},
    {GilDeclaration::not_used, "Py_MOD_GIL_NOT_USED"},
    {GilDeclaration::other, "other"},
}};

constexpr Spellings<SubinterpreterVerdict, 10> kSubinterpreterVerdicts{{
    {SubinterpreterVerdict::supported, "supported"},
    {SubinterpreterVerdict::shared_gil_only, "shared-gil-only"},
    {SubinterpreterVerdict::unsupported, "unsupported"},
    {SubinterpreterVerdict::unsafe, "unsafe"},
    {SubinterpreterVerdict::unknown, "unknown"},
    {SubinterpreterVerdict::broken, "broken"},
    {SubinterpreterVerdict::crash, "crash"},
    {SubinterpreterVerdict::timeout, "timeout"},
    {SubinterpreterVerdict::abi_mismatch, "abi-mismatch"},
    {SubinterpreterVerdict::not_tested, "not-tested"},
}};

constexpr Spellings<FreeThreadingVerdict, 9> kFreeThreadingVerdicts{{
    {FreeThreadingVerdict::gil_free, "gil-free"},
    {FreeThreadingVerdict::requires_gil, "requires-gil"},
    {FreeThreadingVerdict::unsafe, "unsafe"},
    {FreeThreadingVerdict::unknown, "unknown"},
    {FreeThreadingVerdict::broken, "broken"},
    {FreeThreadingVerdict::crash, "crash"},
    {FreeThreadingVerdict::timeout, "timeout"},
    {FreeThreadingVerdict::abi_mismatch, "abi-mismatch"},
    {FreeThreadingVerdict::not_tested, "not-tested"},
}};

constexpr Spellings<ProbeKind, 8> kProbeKinds{{
    {ProbeKind::main, "main"},
    {ProbeKind::isolated, "isolated"},
    {ProbeKind::isolated_fresh, "isolated-fresh"},
    {ProbeKind::shared, "shared"},
    {ProbeKind::stress, "stress"},
    {ProbeKind::gil, "gil"},
    {ProbeKind::combined, "combined"},
    {ProbeKind::declared, "declared"},
}};

constexpr Spellings<ProbeOutcome, 5> kProbeOutcomes{{
    {ProbeOutcome::ok, "ok"},
    {ProbeOutcome::crash, "crash"},
    {ProbeOutcome::exit, "exit"},
    {ProbeOutcome::timeout, "timeout"},
    {ProbeOutcome::error, "error"},
}};

constexpr Spellings<InterpreterPoolVerdict, 4> kInterpreterPoolVerdicts{{
    {InterpreterPoolVerdict::yes, "yes"},
    {InterpreterPoolVerdict::no, "no"},
    {InterpreterPoolVerdict::unknown, "unknown"},
    {InterpreterPoolVerdict::not_available, "not-available"},
}};

}  // namespace

std::string_view to_string(InitStyle value) { return spelling_of(kInitStyles, value); }
std::string_view to_string(MultipleInterpreters value) { return spelling_of(kMultipleInterpreters, value); }
std::string_view to_string(GilDeclaration value) { return spelling_of(kGilDeclarations, value); }
std::string_view to_string(SubinterpreterVerdict value) { return spelling_of(kSubinterpreterVerdicts, value); }
std::string_view to_string(FreeThreadingVerdict value) { return spelling_of(kFreeThreadingVerdicts, value); }
std::string_view to_string(ProbeKind value) { return spelling_of(kProbeKinds, value); }
std::string_view to_string(ProbeOutcome value) { return spelling_of(kProbeOutcomes, value); }
std::string_view to_string(InterpreterPoolVerdict value) { return spelling_of(kInterpreterPoolVerdicts, value); }

std::optional<InitStyle> parse_init_style(std::string_view text) { return value_of(kInitStyles, text); }
std::optional<MultipleInterpreters> parse_multiple_interpreters(std::string_view text) {
  auto value = value_of(kMultipleInterpreters, text);
  if (value == MultipleInterpreters::other) return std::nullopt;
  return value;
}
std::optional<GilDeclaration> parse_gil_declaration(std::string_view text) {
  auto value = value_of(kGilDeclarations, text);
  if (value == GilDeclaration::other) return std::nullopt;
  return value;
}
std::optional<SubinterpreterVerdict> parse_subinterpreter_verdict(std::string_view text) {
  return value_of(kSubinterpreterVerdicts, text);
}
std::optional<FreeThreadingVerdict> parse_free_threading_verdict(std::string_view text) {
  return value_of(kFreeThreadingVerdicts, text);
}
std::optional<ProbeKind> parse_probe_kind(std::string_view text) { return value_of(kProbeKinds, text); }
std::optional<ProbeOutcome> parse_probe_outcome(std::string_view text) { return value_of(kProbeOutcomes, text); }
std::optional<InterpreterPoolVerdict> parse_interpreter_pool_verdict(std::string_view text) {
  return value_of(kInterpreterPoolVerdicts, text);
}

}  // namespace subcheck
