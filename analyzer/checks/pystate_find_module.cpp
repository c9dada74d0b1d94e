// SI007 pystate-find-module: PyState_FindModule / PyState_AddModule /
// PyState_RemoveModule. They keep one module per PyModuleDef per interpreter and work
// only for single-phase modules; a multi-phase module that calls them gets NULL (or an
// error) and a module that relies on them cannot be isolated. The API names come from
// the rule's [data] table.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"
#include "rules/catalogue.h"

namespace subcheck::checks {
namespace {

class PyStateFindModule final : public ListedApiCallCheck {
 public:
  std::string_view rule_id() const override { return "SI007"; }

 protected:
  std::string problem(const std::string& /*api*/) const override {
    return "keeps one module per PyModuleDef and works only for single-phase modules, so the module "
           "cannot be isolated";
  }
};

}  // namespace

std::unique_ptr<Check> make_pystate_find_module() { return std::make_unique<PyStateFindModule>(); }

}  // namespace subcheck::checks
