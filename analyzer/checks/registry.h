// One factory per check, defined in the check's own file; make_all_checks() (check.h)
// lists them all. Exposed so tests can run a single check.
#pragma once

#include <memory>

#include "analyzer/check.h"

namespace subcheck::checks {

std::unique_ptr<Check> make_single_phase_init();                    // SI001
std::unique_ptr<Check> make_multi_interp_slot_missing();            // SI002
std::unique_ptr<Check> make_shared_gil_only_declared();             // SI003
std::unique_ptr<Check> make_per_interpreter_gil_contradiction();    // SI004
std::unique_ptr<Check> make_static_type_object();                   // SI005
std::unique_ptr<Check> make_global_python_object();                 // SI006
std::unique_ptr<Check> make_pystate_find_module();                  // SI007
std::unique_ptr<Check> make_gilstate_api();                         // SI008
std::unique_ptr<Check> make_cython_single_interpreter();            // SI009
std::unique_ptr<Check> make_global_mutable_state();                 // SI010
std::unique_ptr<Check> make_gil_slot_missing();                     // FT001
std::unique_ptr<Check> make_gil_not_used_unsynchronised_global();   // FT002
std::unique_ptr<Check> make_borrowed_reference_api();               // FT003
std::unique_ptr<Check> make_dict_next_without_critical_section();   // FT004
std::unique_ptr<Check> make_nested_critical_section();              // FT005
std::unique_ptr<Check> make_refcnt_uniqueness_test();               // FT006
std::unique_ptr<Check> make_limited_api_free_threading();           // FT007

}  // namespace subcheck::checks
