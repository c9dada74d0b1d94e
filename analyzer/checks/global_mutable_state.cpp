// SI010 global-mutable-state: process-global C data (flags, counters, caches of C
// values) written at run time. Not Python objects, so nothing is corrupted at once, but
// every interpreter sees the others' writes, and interpreters with their own GIL race on
// them. A note: often harmless, always worth a look. Thread-local data is per thread and
// not reported; Cython-generated units are left to SI009.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class GlobalMutableState final : public Check {
 public:
  std::string_view rule_id() const override { return "SI010"; }

  void run(CheckContext& context) const override {
    for (const auto& global :
         written_globals(context.model.units_for(context.config), {GlobalVarFact::Kind::other_mutable})) {
      if (generated_by_cython(*global.unit) || global.var->thread_local_storage) continue;
      context.sink.report(global.var->location, message(global), modules_of(context, *global.unit));
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
};

}  // namespace

std::unique_ptr<Check> make_global_mutable_state() { return std::make_unique<GlobalMutableState>(); }

}  // namespace subcheck::checks
