// The module's own tables, read from their initialisers: a PyModuleDef (name, size, slots
// array) and a slot array (slot ids and values as spelled): PyModuleDef_Slot for
// multi-phase init, 3.15's PySlot for a PyModExport_ hook (docs/cpython-behaviour.md #22).
#pragma once

#include <clang-c/Index.h>

#include <string>

#include "analyzer/facts.h"
#include "analyzer/reader/source_map.h"

namespace subcheck::reader {

ModuleDefFact read_module_def(SourceMap& map, CXCursor var, const std::string& usr);
// PyModuleDef_Slot is {slot, value}; PySlot is {sl_id, sl_flags, {sl_reserved}, {sl_ptr |
// sl_func | sl_size | sl_int64 | sl_uint64}}, filled by designators (PySlot_DATA) or by
// position (PySlot_PTR, for C++ before designated initialisers).
enum class SlotLayout { module_def_slot, py_slot };

SlotArrayFact read_slot_array(SourceMap& map, CXCursor var, const std::string& usr, SlotLayout layout);

}  // namespace subcheck::reader
