// The module's own tables, read from their initialisers: a PyModuleDef (name, size, slots
// array) and a PyModuleDef_Slot array (slot ids and values as spelled).
#pragma once

#include <clang-c/Index.h>

#include <string>

#include "analyzer/facts.h"
#include "analyzer/reader/source_map.h"

namespace subcheck::reader {

ModuleDefFact read_module_def(SourceMap& map, CXCursor var, const std::string& usr);
SlotArrayFact read_slot_array(SourceMap& map, CXCursor var, const std::string& usr);

}  // namespace subcheck::reader
