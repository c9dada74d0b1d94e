// SI010 global-mutable-state: process-global C data (flags, counters, caches of C
// values) written at run time. Not Python objects, so nothing is corrupted at once, but
// every interpreter sees the others' writes, and interpreters with their own GIL race on
// them. A note: often harmless, always worth a look. Thread-local data is per thread and
// not reported; Cython-generated units are left to SI009. C data a write puts a Python
// object into (a static Py_buffer a buffer request fills) is SI006's.
//
// An API table (PyType_Slot[], PyMethodDef[], a PyType_Spec) is CPython's to read and
// normally never written; one the module fills in at run time (xxlimited_35's
// `Null_Type_slots[0].pfunc = &PyBaseObject_Type` in its exec function, "for portability
// to Windows") is rewritten by every import, in every interpreter, while another may be
// reading it in PyType_FromSpec: the same process-global race, reported with the table's name.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class GlobalMutableState final : public Check {
 public:
  std::string_view rule_id() const override { return "SI010"; }

  void run(CheckContext& context) const override {
    for (const auto& global : written_globals(context.model.units_for(context.config),
                                              {GlobalVarFact::Kind::other_mutable, GlobalVarFact::Kind::api_table})) {
      if (generated_by_cython(*global.unit) || global.var->thread_local_storage || stores_object(global)) continue;
      std::string text = global.var->kind == GlobalVarFact::Kind::api_table ? table_message(global) : message(global);
      context.sink.report(global.var->location, std::move(text), modules_of(context, *global.unit, *global.var));
    }
  }

 private:
  static std::string message(const WrittenGlobal& global) {
    const std::string scope = global.var->function_static ? "function-static" : "process-global";
    return scope + " C variable '" + global.var->name + "' is written at run time" +
           in_function(global.writes.front()->function) +
           "; every interpreter shares it and own-GIL interpreters race on it. Move it to "
           "module state, or make it atomic if it really is process-wide";
  }

  static std::string table_message(const WrittenGlobal& global) {
    return "process-global table '" + global.var->name + "' (" + global.var->type + ") is filled in at run time" +
           in_function(global.writes.front()->function) +
           "; every import, in every interpreter, rewrites the one copy while another may be reading it. "
           "Give it its values in its initialiser, or fill a copy local to the call";
  }
};

}  // namespace

std::unique_ptr<Check> make_global_mutable_state() { return std::make_unique<GlobalMutableState>(); }

}  // namespace subcheck::checks
