// SI012 exec-once-guard: a multi-phase module (or 3.15 export hook) that supports several
// interpreters, by declaration or by the absent slot's default, yet keeps a process-global
// "already loaded" flag in its initialisation: exec tests it and sets it. Exec runs once
// per module object, in every interpreter and again on a re-import, so every run after the
// first finds the flag set and skips its set-up (the module lacks its objects or shares
// the first interpreter's) or refuses with an error. The flag is decided by
// exec_once_guards() (check_support), shared with SI004, which reports the same guard as
// an error in a module declaring Py_MOD_PER_INTERPRETER_GIL_SUPPORTED and supersedes this.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class ExecOnceGuardCheck final : public Check {
 public:
  std::string_view rule_id() const override { return "SI012"; }

  void run(CheckContext& context) const override {
    for (const auto& module : context.model.modules) {
      const auto* view = module.view(context.config);
      if (view == nullptr || !built_from_slots(view->init) || !claims_several(*view)) continue;
      for (const ExecOnceGuard& guard : exec_once_guards(*view)) {
        context.sink.report(guard.var->location, message(module, *view, guard), {module.name});
      }
    }
  }

 private:
  // Absent, the slot defaults to Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED; unknown says nothing.
  static bool claims_several(const ModuleConfigView& view) {
    return view.multiple_interpreters != MultipleInterpreters::not_supported &&
           view.multiple_interpreters != MultipleInterpreters::unknown;
  }

  static std::string claim(const ModuleConfigView& view) {
    if (view.multiple_interpreters == MultipleInterpreters::absent) {
      return "has no Py_mod_multiple_interpreters slot, which defaults to "
             "Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED";
    }
    return "declares " + view.multiple_interpreters_spelling();
  }

  static std::string message(const ExtensionModule& module, const ModuleConfigView& view, const ExecOnceGuard& guard) {
    return "module '" + module.name + "' " + claim(view) + ", but process-global '" + guard.var->name +
           "' is an initialise-once guard: tested" + in_function(guard.tested_in) + " and set" +
           in_function(guard.write->function) +
           " during module initialisation. Exec runs once per module object, so the second "
           "interpreter's exec sees the flag set and skips or refuses its set-up. Keep the flag in "
           "module state, or remove it";
  }
};

}  // namespace

std::unique_ptr<Check> make_exec_once_guard() { return std::make_unique<ExecOnceGuardCheck>(); }

}  // namespace subcheck::checks
