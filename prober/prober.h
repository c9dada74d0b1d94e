// The dynamic half of subcheck: import every extension module of a package in real
// interpreters — main, isolated subinterpreter, legacy subinterpreter, under stress, and
// on free-threaded builds — each probe in a child process of its own, and turn what
// CPython did into verdicts with evidence. docs/prober.md describes the design.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/interpreter.h"
#include "core/vocabulary.h"

namespace subcheck::prober {

// An extension module file and the import name it is loaded under.
struct ExtensionFile {
  std::string module;                      // dotted import name: "markupsafe._speedups"
  std::filesystem::path file;              // absolute path of the .so
  std::filesystem::path sys_path_entry;    // the directory to put on sys.path
  std::vector<std::string> init_symbols;   // PyInit_*, PyModExport_* (and U forms) from the ELF dynamic symbols
  std::vector<std::string> c_api_imports;  // the C-API imports of interest (elf_symbols.h), sorted
  bool matches_interpreter = true;         // its suffix is one of the interpreter's EXTENSION_SUFFIXES
  std::string mismatch_reason;             // why not, e.g. "built for cpython-313 (not 3.13t)"
  std::string distribution;                // the installed distribution it belongs to, when known
};

// What was found in the thing the user pointed at.
struct ProbeTarget {
  std::string kind;  // "installed", "wheel", "build-tree", "directory"
  std::vector<ExtensionFile> modules;
  std::vector<std::string> warnings;  // skipped members, unsafe archive entries, ...
  // Keeps an unpacked wheel alive while probing; removed on destruction.
  std::shared_ptr<const std::filesystem::path> scratch;
  std::filesystem::path archive;  // the wheel unpacked into scratch, as given
};

// A wheel (.whl), an installed distribution (a *.dist-info directory, or a project name
// installed in the interpreter's site-packages), or a directory (build tree / source tree
// with built modules). Throws std::runtime_error for unreadable or hostile input
// (zip-slip paths, absolute paths, links escaping the tree, archives over the size limits).
ProbeTarget discover(const std::string& input, const Interpreter& interpreter);

// A distribution named by a requirements or lock file, looked up only in the interpreter's
// site-packages, never as a path (a directory of that name in the working directory is not
// walked). Throws std::runtime_error when it is not installed there.
ProbeTarget discover_distribution(const std::string& name, const Interpreter& interpreter);

// The distributions installed in `site_dir`: its *.dist-info and *.egg-info directories,
// sorted (links are not followed out of it). An unreadable directory lists none.
std::vector<std::filesystem::path> installed_distributions(const std::filesystem::path& site_dir);

struct ProbeStep {
  std::string where;  // "main", "isolated", "shared", "stress"
  bool ok = false;
  std::string error_type;  // "ImportError"
  std::string message;
  // "file" when the module was loaded from its file alone (ExtensionFileLoader) because the
  // import by name failed before reaching it: its package's __init__ failed, or the finder
  // does not know its file name (docs/cpython-behaviour.md #14, #16). package_error says what failed.
  std::string via;
  std::string package_error;
  // The import failed, yet the module's top-level package was imported (it went on
  // without the module): the package's name, else empty. A fallback when the package's
  // import loads the module in the main interpreter (PyYAML without yaml._yaml,
  // docs/cpython-behaviour.md #24).
  std::string fallback;
  bool package_imports_it = false;  // importing the top-level package loaded the module
};

// What PyInit_<name> returned when a `declared` child called it (docs/prober.md,
// "Declared"): a multi-phase module's PyModuleDef, or a single-phase module's module.
struct DeclaredDef {
  InitStyle init = InitStyle::unknown;
  std::optional<long long> m_size;
  int slots = 0;  // multi-phase: entries of m_slots
  MultipleInterpreters multiple_interpreters = MultipleInterpreters::unknown;
  GilDeclaration gil = GilDeclaration::unknown;
  std::string error;  // why PyInit could not be called or read
};

// What one probe child did (docs/prober.md, "Host protocol").
struct ProbeResult {
  ProbeKind probe = ProbeKind::main;
  ProbeOutcome outcome = ProbeOutcome::error;
  int signal = 0;
  int exit_code = 0;
  // Outcome crash, exit or timeout: the step under way ("main", "isolated", "shared",
  // "stress cycle 2"), or "teardown" when every result had been written already.
  std::string during;
  std::chrono::milliseconds elapsed{0};
  std::vector<ProbeStep> steps;
  std::vector<std::string> shared_objects;  // module attributes with the same id() in two interpreters
  std::optional<bool> gil_before, gil_after;
  std::vector<long> rss_kb;   // stress: RSS after each cycle
  std::vector<long> heap_kb;  // stress: malloc'd bytes in use after each cycle (glibc; else empty)
  std::string output;         // the tail of what the child printed
  bool output_truncated = false;
  std::string error;                    // outcome "error": why the probe could not run
  std::optional<DeclaredDef> declared;  // a `declared` child's record
};

// What the verdicts read for one probe. Usually one child's own result; when one child
// stood for several probes (a clean combined first-wave child; the GIL measurement an
// isolated child makes around its main import on free-threaded builds), the part of that
// child's result that answers this probe, and `part_of` is the kind of that child.
// docs/prober.md, "Which probes the runner sends".
struct ProbeReading {
  ProbeResult result;  // result.probe: the probe this reading answers
  std::optional<ProbeKind> part_of;
};

// What a module declares, next to what the probes observed, and where they disagree
// (docs/prober.md, "Declared"). Each fact comes from the PyModuleDef that PyInit returned
// (source "module-def") or from the file's undefined dynamic symbols ("elf-imports").
struct DeclaredFacts {
  DeclaredDef def;                   // def.error when the `declared` child could not read it
  std::string def_source;            // "module-def" when `def` was read, else empty
  std::string init_source;           // where def.init comes from: "module-def", "elf-imports" or empty
  std::vector<std::string> imports;  // C-API imports of interest (source "elf-imports")
  std::string imports_error;         // the ELF file could not be read
};

// A contradiction between what a module declares and what a probe observed.
struct Contradiction {
  std::string id;  // stable: "declared-isolated-fails", ... (docs/prober.md, "Contradictions")
  std::string message;
};

struct ModuleProbeReport {
  std::string module;
  std::filesystem::path file;
  std::string interpreter;     // implementation_tag, e.g. "3.13t"
  std::string distribution;    // ExtensionFile::distribution
  bool free_threaded = false;  // the interpreter is a free-threaded build
  // supported | shared-gil-only | unsupported | broken | crash | timeout | abi-mismatch, or
  // not-tested when no probe could run (the host could not be built or started)
  SubinterpreterVerdict subinterpreters = SubinterpreterVerdict::not_tested;
  // gil-free | requires-gil | broken | crash | timeout | not-tested | abi-mismatch
  FreeThreadingVerdict free_threading = FreeThreadingVerdict::not_tested;
  std::string summary;  // one line: why this verdict
  // The top-level package that an isolated subinterpreter imports only without this
  // module (its accelerator, refused there): "yaml" for yaml._yaml; else empty.
  std::string fallback_package;
  std::vector<ProbeResult> evidence;  // what each probe child did, in the order they ran
  std::vector<std::string> notes;     // e.g. "RSS grew 2.1 MiB per stress cycle"
  DeclaredFacts declared;
  std::vector<Contradiction> contradictions;
};

// The readings the verdicts of `report` were decided from, one per probe answered
// (probe_plan.cpp): what the JSON report lists as a module's evidence (docs/json-schema.md).
std::vector<ProbeReading> probe_readings(const ModuleProbeReport& report);

struct ProbeOptions {
  unsigned jobs = 0;                         // children at once; 0: one per core
  std::chrono::milliseconds timeout{20000};  // per probe child
  unsigned stress_threads = 4;
  unsigned stress_cycles = 3;
  bool stress = true;
  std::function<void(std::size_t done, std::size_t total, const std::string& what)> progress;
};

// The isolation the probe children ran under, as the probe host reported it after trying
// it (docs/security.md): never more than was in force.
struct SandboxReport {
  // "isolated (a network namespace per probe)", else the probe host's own:
  // "isolated (new network namespace)" or "not isolated: <reason>"
  std::string network;
  std::vector<std::string> limits;  // the rlimits applied
  // "namespaces" (user, PID, mount, network, IPC, UTS, cgroup namespaces per probe),
  // "namespaces-without-user-namespace" (root where user namespaces are refused), "none";
  // empty when no probe host ran.
  std::string level;
  std::vector<std::string> isolation;  // what each probe got, in words
  std::vector<std::string> problems;   // what it did not get, and why
};

struct ProbeRun {
  std::vector<ModuleProbeReport> modules;
  SandboxReport sandbox;
  std::vector<std::string> problems;  // host build failures, restarts, ...
};

// Probes every module of the target on one interpreter.
ProbeRun probe(const Interpreter& interpreter, const ProbeTarget& target, const ProbeOptions& options);

}  // namespace subcheck::prober
