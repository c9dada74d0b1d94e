// The facts SI012 (exec-once-guard) reads from a function body: the static-storage
// variables its conditions read (FunctionFact::tested_globals) and whether a write stores
// a constant (GlobalWriteFact::stores_constant). Real libclang on real C.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/compile_db.h"
#include "analyzer/extract.h"
#include "core/interpreter.h"
#include "tests/test_support.h"

namespace subcheck {
namespace {

const std::optional<Interpreter>& python() {
  static const std::optional<Interpreter> found = find_default_python();
  return found;
}

#define REQUIRE_PYTHON() \
  if (!python()) GTEST_SKIP() << "no CPython >= 3.12 found: cannot parse C extensions"

TranslationUnitFacts extract(const char* text) {
  test::TempDir tree("subcheck-condition-facts");
  const auto source = tree.write("mod.c", text);
  CompileCommand command{source, tree.path(), {"-isystem", python()->include_dir.string()}, {}};
  Extractor extractor(ExtractOptions{{tree.path()}});
  return extractor.extract(command, BuildConfig::gil);
}

// The names (not USRs) of the globals `function` tests, through the unit's globals.
std::vector<std::string> tested_names(const TranslationUnitFacts& facts, const std::string& function) {
  std::vector<std::string> names;
  for (const FunctionFact& fact : facts.functions) {
    if (fact.name != function) continue;
    for (const std::string& usr : fact.tested_globals) {
      for (const GlobalVarFact& global : facts.globals) {
        if (global.usr == usr) names.push_back(global.name);
      }
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

const GlobalWriteFact* write_of(const TranslationUnitFacts& facts, const std::string& name) {
  for (const GlobalVarFact& global : facts.globals) {
    if (global.name != name) continue;
    for (const GlobalWriteFact& write : facts.global_writes) {
      if (write.var_usr == global.usr) return &write;
    }
  }
  return nullptr;
}

constexpr const char* kSource = R"(#include <Python.h>
#include <stdbool.h>
static int loaded, waiting, either, other, chosen, limit, in_call, never_tested;
static struct { bool ready; } state;
static char *table;
static int f(int x) { return x; }
int tests(void) {
    if (loaded) return 0;
    while (waiting > 0) waiting--;
    if (!state.ready) state.ready = true;
    int x = chosen ? 1 : 2;
    x += (either && other);
    if (f(in_call) < 0) return -1;
    do { x--; } while (x > limit);
    never_tested = 1;
    table = PyMem_Malloc(16);
    loaded = 1;
    return x;
}
int guards(PyObject *module) {
    if (loaded) return 0;
    if (!state.ready) { state.ready = true; }
    if (chosen > 1) { PyErr_SetString(PyExc_ImportError, "twice"); return -1; }
    if (waiting) { if (limit) return -1; }
    return 0;
}
int no_object(int n) {
    if (either) return n;
    return 0;
}
)";

TEST(ConditionFacts, RecordsTheGlobalsConditionsReadButNotCallArguments) {
  REQUIRE_PYTHON();
  TranslationUnitFacts facts = extract(kSource);
  ASSERT_TRUE(facts.trustworthy);
  EXPECT_EQ(tested_names(facts, "tests"),
            (std::vector<std::string>{"chosen", "either", "limit", "loaded", "other", "state", "waiting"}));
}

// Exit guards: an if whose own branch returns, in a function that takes a PyObject *.
TEST(ConditionFacts, ExitGuardsAreTestsWhoseBranchReturnsInAFunctionTakingAnObject) {
  REQUIRE_PYTHON();
  TranslationUnitFacts facts = extract(kSource);
  for (const FunctionFact& function : facts.functions) {
    std::vector<std::string> names;
    for (const std::string& usr : function.exit_guard_globals) {
      for (const GlobalVarFact& global : facts.globals) {
        if (global.usr == usr) names.push_back(global.name);
      }
    }
    std::sort(names.begin(), names.end());
    if (function.name == "guards") {
      EXPECT_EQ(names, (std::vector<std::string>{"chosen", "limit", "loaded"}));
    } else {
      EXPECT_TRUE(names.empty()) << function.name;  // `tests` and `no_object` take no object
    }
  }
}

TEST(ConditionFacts, AWriteOfAConstantIsMarkedAndComputedDataIsNot) {
  REQUIRE_PYTHON();
  TranslationUnitFacts facts = extract(kSource);
  for (const char* name : {"loaded", "never_tested", "state"}) {
    const GlobalWriteFact* write = write_of(facts, name);
    ASSERT_NE(write, nullptr) << name;
    EXPECT_TRUE(write->stores_constant) << name;
  }
  const GlobalWriteFact* table = write_of(facts, "table");
  ASSERT_NE(table, nullptr);
  EXPECT_FALSE(table->stores_constant);
  const GlobalWriteFact* waiting = write_of(facts, "waiting");
  ASSERT_NE(waiting, nullptr);
  EXPECT_FALSE(waiting->stores_constant);
  EXPECT_TRUE(waiting->read_modify_write);
}

// FunctionFact::returns_only_null: a pointer-returning function whose every `return` gives
// a null pointer constant (a Py_mod_create function that can only fail, #27).
TEST(ConditionFacts, AFunctionThatCanOnlyReturnNullIsMarked) {
  REQUIRE_PYTHON();
  TranslationUnitFacts facts = extract(R"(#include <Python.h>
static PyObject *plain_null(PyObject *spec, PyModuleDef *def) { return NULL; }
static PyObject *raises(PyObject *spec, PyModuleDef *def) {
    if (def == NULL) { PyErr_SetString(PyExc_SystemError, "no def"); return 0; }
    PyErr_SetString(PyExc_SystemError, "never");
    return (PyObject *)NULL;
}
static PyObject *sometimes(PyObject *spec, PyModuleDef *def) {
    if (def == NULL) return NULL;
    return PyModule_New("x");
}
static PyObject *falls_off(PyObject *spec, PyModuleDef *def) { PyErr_SetString(PyExc_SystemError, "x"); }
static int zero(void) { return 0; }
static const int nothing = 0;
static const int *address(void) { return &nothing; }
)");
  std::map<std::string, bool> marked;
  for (const FunctionFact& function : facts.functions) marked[function.name] = function.returns_only_null;
  EXPECT_TRUE(marked.at("plain_null"));
  EXPECT_TRUE(marked.at("raises"));
  EXPECT_FALSE(marked.at("sometimes"));
  EXPECT_FALSE(marked.at("falls_off"));  // no return at all: nothing says it fails
  EXPECT_FALSE(marked.at("zero"));       // returns an int: 0 is a value, not a null pointer
  EXPECT_FALSE(marked.at("address"));    // a constant's address is not null
}

}  // namespace
}  // namespace subcheck
