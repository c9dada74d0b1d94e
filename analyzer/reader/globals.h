// Variables with static storage duration (file scope and function statics): one
// GlobalVarFact each, classified by type; PyModuleDef and slot arrays are also read as
// module tables.
#pragma once

#include <clang-c/Index.h>

#include <map>
#include <string>

#include "analyzer/facts.h"
#include "analyzer/reader/cython_comments.h"
#include "analyzer/reader/global_kinds.h"
#include "analyzer/reader/source_map.h"

namespace subcheck::reader {

class GlobalReader {
 public:
  GlobalReader(SourceMap& map, TranslationUnitFacts& facts) : map_(map), facts_(facts) {}

  // `function` is the enclosing function of a function static, empty at file scope.
  // Anything that is not a global definition is ignored.
  void read(CXCursor var, const std::string& function);

 private:
  SourceMap& map_;
  TranslationUnitFacts& facts_;
  GlobalClassifier classifier_;
  CythonSourceLocator cython_sources_;
  std::map<std::string, std::size_t> index_;  // USR -> position in facts_.globals
};

}  // namespace subcheck::reader
