// SI003 shared-gil-only-declared: the module says, in its Py_mod_multiple_interpreters
// slot, that it does not support isolated subinterpreters. What each value keeps out
// (docs/cpython-behaviour.md #1, #4, #19): Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED is refused
// by subinterpreters with their own GIL; Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED by every
// subinterpreter that checks extensions (check_multi_interp_extensions: the isolated ones,
// and all of them on a free-threaded build), while legacy Py_NewInterpreter() ones of a GIL
// build still load it. A deliberate choice, hence a warning: it still keeps the module out
// of concurrent.interpreters. A module that keeps no state at all is told that only the
// declaration stands in the way.
#include <algorithm>

#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class SharedGilOnlyDeclared final : public Check {
 public:
  std::string_view rule_id() const override { return "SI003"; }

  void run(CheckContext& context) const override {
    for (const auto& module : context.model.modules) {
      const auto* view = module.view(context.config);
      if (view == nullptr) continue;
      const MultipleInterpreters declared = view->multiple_interpreters;
      if (declared != MultipleInterpreters::supported && declared != MultipleInterpreters::not_supported) continue;
      auto where = view->multiple_interpreters_at.value_or(definition_location(module, *view));
      context.sink.report(where, message(module, *view, declared), {module.name});
    }
  }

 private:
  // No per-module state (m_size 0, spelled or left out of a def that parsed), no
  // process-global data written, no static Python object, in units that all parsed
  // cleanly (a unit that did not may hold writes no fact records).
  static bool keeps_no_state(const ExtensionModule& module, const ModuleConfigView& view) {
    if (module.generator == "cython" || view.def == nullptr || view.def->parse_errors ||
        view.def->m_size.value_or(0) != 0 || !view.call_graph_complete) {
      return false;
    }
    bool stateless = std::all_of(view.units.begin(), view.units.end(),
                                 [](const TranslationUnitFacts* unit) { return unit->global_writes.empty(); });
    for_each_static_python_object(view.units,
                                  [&](const TranslationUnitFacts&, const GlobalVarFact&) { stateless = false; });
    return stateless;
  }

  static std::string message(const ExtensionModule& module, const ModuleConfigView& view,
                             MultipleInterpreters declared) {
    const std::string who =
        declared == MultipleInterpreters::not_supported
            ? "subinterpreters that check extensions refuse it (isolated ones: concurrent.interpreters, "
              "InterpreterPoolExecutor, Py_NewInterpreterFromConfig with the isolated config; every "
              "subinterpreter of a free-threaded build), while legacy Py_NewInterpreter() subinterpreters "
              "of a GIL build still load it"
            : "only subinterpreters that share the main GIL (legacy Py_NewInterpreter() ones) accept it; "
              "isolated ones (concurrent.interpreters, InterpreterPoolExecutor) refuse it";
    const std::string advice =
        keeps_no_state(module, view)
            ? "the module keeps no state (m_size 0, no process-global data written), so only the declaration "
              "needs changing: declare Py_MOD_PER_INTERPRETER_GIL_SUPPORTED"
            : "isolate its state and declare Py_MOD_PER_INTERPRETER_GIL_SUPPORTED";
    return "module '" + module.name + "' declares " + std::string(to_string(declared)) + ": " + who + "; " + advice;
  }
};

}  // namespace

std::unique_ptr<Check> make_shared_gil_only_declared() { return std::make_unique<SharedGilOnlyDeclared>(); }

}  // namespace subcheck::checks
