// SI006 global-python-object: a file-scope or function-static variable that holds Python
// objects and is assigned at run time (exception types, cached objects, interned
// strings). Each interpreter that imports the module overwrites it, and every interpreter
// then uses objects that belong to another one. Constant tables (PyMethodDef and the like)
// are not Python objects and are not reported. Cython-generated units are left to SI009.
//
// Not reported: a variable the module never assigns (every write is in a function it never
// runs, write_timing). Worded apart: a variable only the PyInit of a single-phase module
// with m_size = -1 assigns. CPython runs that PyInit once per process and every later
// interpreter gets a copy of the module's dict holding the same objects, so today the
// variable shares nothing the module does not share anyway; the finding is the porting
// work SI001 asks for, and the message says so. The message names a write that stores an
// object, not one that only clears the variable (`x = NULL` in m_clear).
//
// Nor a variable whose every write stores one value that is the same for the whole process
// (stores_one_value_per_target): psycopg2's `Error = (PyObject *)&errorType` always holds
// the same static type, whose sharing SI005 reports where the type is defined.
//
// Nor a variable only the main interpreter uses (used_only_by_main_interpreter): psycopg2
// caches the Decimal type only `if (psyco_is_main_interp())`, and other interpreters look
// it up per call.
#include <algorithm>

#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class GlobalPythonObject final : public Check {
 public:
  std::string_view rule_id() const override { return "SI006"; }

  void run(CheckContext& context) const override {
    const auto& units = context.model.units_for(context.config);
    for (const auto& global : written_python_globals(units)) {
      if (used_only_by_main_interpreter(units, global) || stores_one_value_per_target(global.writes)) continue;
      std::vector<std::string> names = modules_of(context, *global.unit, *global.var);
      const std::vector<const ExtensionModule*> owners = modules_named(context.model, names);
      WriteTiming latest = WriteTiming::never;
      const GlobalWriteFact* named = nullptr;
      for (const GlobalWriteFact* write : global.writes) {
        const WriteTiming timing = write_timing(owners, context.config, *write);
        // The latest write, and among those one that stores rather than clears.
        if (timing > latest ||
            (timing == latest && named != nullptr && named->stores_constant && !write->stores_constant)) {
          named = write;
        }
        latest = std::max(latest, timing);
      }
      if (latest == WriteTiming::never) continue;
      context.sink.report(global.var->location, message(*global.var, *named, latest, python_global_fix(units, global)),
                          std::move(names));
    }
  }

 private:
  static std::string message(const GlobalVarFact& var, const GlobalWriteFact& write, WriteTiming timing,
                             const std::string& fix) {
    const std::string scope = var.function_static ? "function-static" : "process-global";
    const std::string subject = scope + " " + python_global_noun(var) + " '" + var.name + "' is assigned";
    if (timing == WriteTiming::once_per_process) {
      return subject + " once per process" + in_function(write.function) +
             ": this single-phase module (m_size = -1) is initialised once and later interpreters get a copy of its "
             "dict holding the same objects. Porting it to multi-phase init (SI001) means keeping it in module "
             "state (PyModule_GetState)";
    }
    return subject + " at run time" + in_function(write.function) + "; every interpreter would share it. " + fix;
  }
};

}  // namespace

std::unique_ptr<Check> make_global_python_object() { return std::make_unique<GlobalPythonObject>(); }

}  // namespace subcheck::checks
