// How a function uses the struct fields it names (`state->codes`, `st.table`), read from
// its tokens. FT003 needs it to tell a container that only module initialisation fills
// (a lookup table in module state) from one any call may change.
#pragma once

#include <string>
#include <vector>

#include "analyzer/facts.h"
#include "analyzer/reader/token_scan.h"

namespace subcheck::reader {

// A call of `callee` returns a container that nothing else holds yet (PyDict_New,
// PyDict_Keys, PyUnicode_Split, ...).
bool creates_fresh_container(const std::string& callee);

// Fills function.fields_made, fields_changed and fields_shared from `body`.
void read_field_uses(const std::vector<BodyToken>& body, FunctionFact& function);

}  // namespace subcheck::reader
