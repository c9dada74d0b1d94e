#include "analyzer/checks/registry.h"

namespace subcheck {

std::vector<std::unique_ptr<Check>> make_all_checks() {
  using namespace checks;
  std::vector<std::unique_ptr<Check>> all;
  all.push_back(make_single_phase_init());
  all.push_back(make_multi_interp_slot_missing());
  all.push_back(make_shared_gil_only_declared());
  all.push_back(make_per_interpreter_gil_contradiction());
  all.push_back(make_static_type_object());
  all.push_back(make_global_python_object());
  all.push_back(make_pystate_find_module());
  all.push_back(make_gilstate_api());
  all.push_back(make_cython_single_interpreter());
  all.push_back(make_global_mutable_state());
  all.push_back(make_gil_slot_missing());
  all.push_back(make_gil_not_used_unsynchronised_global());
  all.push_back(make_borrowed_reference_api());
  all.push_back(make_dict_next_without_critical_section());
  all.push_back(make_nested_critical_section());
  all.push_back(make_refcnt_uniqueness_test());
  all.push_back(make_limited_api_free_threading());
  return all;
}

}  // namespace subcheck
