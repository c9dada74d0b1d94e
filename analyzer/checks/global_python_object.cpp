// SI006 global-python-object: a file-scope or function-static variable that holds Python
// objects and is assigned at run time (exception types, cached objects, interned
// strings). Each interpreter that imports the module overwrites it, and every interpreter
// then uses objects that belong to another one. Constant tables (PyMethodDef and the like)
// are not Python objects and are not reported. Cython-generated units are left to SI009.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class GlobalPythonObject final : public Check {
 public:
  std::string_view rule_id() const override { return "SI006"; }

  void run(CheckContext& context) const override {
    for (const auto& global : written_python_globals(context.model.units_for(context.config))) {
      context.sink.report(global.var->location, message(global), modules_of(context, *global.unit, *global.var));
    }
  }

 private:
  static std::string message(const WrittenGlobal& global) {
    const std::string scope = global.var->function_static ? "function-static" : "process-global";
    return scope + " " + python_global_noun(*global.var) + " '" + global.var->name + "' is assigned at run time" +
           in_function(global.writes.front()->function) +
           "; every interpreter would share it. Keep it in module state "
           "(PyModule_GetState) instead";
  }
};

}  // namespace

std::unique_ptr<Check> make_global_python_object() { return std::make_unique<GlobalPythonObject>(); }

}  // namespace subcheck::checks
