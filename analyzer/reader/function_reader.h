// One function definition: its calls (real and API macros, with their critical-section
// and lock context), the functions and external globals it references, its writes to
// globals, and the function statics it defines (through the GlobalReader).
#pragma once

#include <clang-c/Index.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/facts.h"
#include "analyzer/reader/cython_comments.h"
#include "analyzer/reader/globals.h"
#include "analyzer/reader/main_interpreter.h"
#include "analyzer/reader/source_map.h"
#include "analyzer/reader/token_scan.h"

namespace subcheck::reader {

class FunctionReader {
 public:
  FunctionReader(SourceMap& map, GlobalReader& globals, TranslationUnitFacts& facts)
      : map_(map), globals_(globals), facts_(facts) {}

  // Appends one FunctionFact to the unit's facts (and writes, patterns, statics on the way).
  void read(CXCursor function);

 private:
  // What is known while walking one body.
  struct Scan {
    FunctionFact fact;
    std::set<std::string> referenced;
    std::set<std::string> referenced_globals;
    std::set<std::string> tested_globals;            // static-storage variables read in a condition
    std::set<std::string> exit_guard_globals;        // ... in an if whose branch returns at once
    bool takes_object = false;                       // a PyObject * parameter
    std::map<std::string, ArgSource> local_origins;  // by variable name
    // Each change of local_origins as the walk made it, with the offset of the assignment:
    // a macro use, read from the tokens after the walk, takes the origin its position had
    // (`r = po->result; Py_REFCNT(r); ...; r = PyTuple_Pack(...)`). nullopt: no longer known.
    struct OriginChange {
      unsigned offset;
      std::string name;
      std::optional<ArgSource> source;
    };
    std::vector<OriginChange> origin_changes;
    std::map<std::string, std::set<std::string>> local_functions;  // local -> functions stored in it
    std::vector<std::string> guard_vars;                           // usrs tested by enclosing ifs
    // Main-interpreter gates (reader/main_interpreter.h): the locals holding a test, how many
    // enclosing `if`s only the main interpreter enters, and the globals named outside any.
    std::set<std::string> main_interpreter_locals;
    int main_interpreter_gates = 0;
    std::set<std::string> globals_outside_main_gate;
    std::set<unsigned> compared_calls;  // offsets of calls that are == / != operands
    // A call's result kept in a local that is then only compared by address
    // (`v = PyDict_GetItem(d, k); if (v && v != Py_None)`): each assignment of a local and
    // each use of it, in the order of the source, decides it after the walk
    // (calls_only_compared_through_locals).
    struct LocalEvent {
      enum class Kind { assigned, compared, passed, used };
      std::string usr;
      Kind kind;
      std::optional<unsigned> call;  // for `assigned`: the offset of the call whose result it holds
      bool in_loop;
      PassedArgument passed{};  // for `passed`: the call it is an argument of
    };
    // In the order the walk met them, which is the order of the source except that an
    // assignment comes after its right-hand side (`v = f(v)` reads v first).
    std::vector<LocalEvent> local_events;
    std::vector<std::pair<CXCursor, LocalEvent>> pending_assignments;  // until their value is walked
    // Locals' names that are == / != operands or tested for truth, and those that are
    // assignment targets. Cursors, not offsets: inside one macro expansion every cursor has
    // the expansion's offset (termios' SET_FROM_LIST compares `num` beside using `item`).
    std::unordered_multimap<unsigned, CXCursor> compared_refs;  // by clang_hashCursor
    std::unordered_multimap<unsigned, CXCursor> assigned_refs;
    // Locals' names that are a call's argument themselves (`f(state, item)`), with the call.
    std::unordered_multimap<unsigned, std::pair<CXCursor, PassedArgument>> passed_refs;
    std::vector<std::string> parameter_usrs;  // in order
    std::size_t first_write = 0;              // facts_.global_writes' size when the walk began
    std::set<std::string> aliased_locals;     // usrs of locals whose address another local keeps (`p = &v`)
    int loops = 0;                            // loop statements around the cursor being walked
    // Locals holding a global's address (`T *p = &g;`, `p = table;`): usr -> the globals' usrs.
    std::map<std::string, std::vector<std::string>> local_pointees;
    // Counters of the `for (i = K; ...; i++)` loops around the cursor: usr -> K.
    std::map<std::string, std::size_t> loop_starts;
    std::set<std::pair<std::string, unsigned>> writes_seen;  // (global usr, offset): Py_CLEAR writes twice
    FunctionTokens tokens;                                   // regions and macro uses
    // For FunctionFact::returns_only_null: the function's own `return`s (not a lambda's or
    // a block's inside it) and how many of them give a null pointer constant.
    // For FunctionFact::returned_sources: each non-null return's origin, with the local it
    // names (empty for anything else), and the locals stored elsewhere somewhere in the body.
    std::vector<std::pair<std::string, ArgSource>> returned;
    std::set<std::string> escaped_locals;
    bool returns_pointer = false;
    int nested_bodies = 0;
    int returns = 0;
    int null_returns = 0;
    // Cython-generated units only: the function's file and where its text starts, the
    // bounds for the `/* "mod.pyx":12` comment each global write was generated from.
    CXFile file = nullptr;
    unsigned start = 0;
  };

  void walk(CXCursor cursor);
  void read_decl_ref(CXCursor cursor);
  void read_var_decl(CXCursor cursor);
  void read_assignment(CXCursor cursor, CXCursorKind kind);
  void read_if(CXCursor cursor);
  void read_block(CXCursor block);
  bool returns_unless_main_interpreter(CXCursor statement);
  void note_tested(CXCursor condition);
  void read_return(CXCursor cursor);
  void note_compared_calls(CXCursor comparison);
  void note_truth_tested_calls(CXCursor condition);
  void note_local_assignment(CXCursor local, CXCursor at, CXCursor value);
  void mark_calls_only_compared_through_locals();
  void note_passed_locals(CXCursor call);
  void note_parameters_only_compared();
  void read_call(CXCursor call);
  void lift_module_creation(CXCursor call);
  void note_passed_functions(CXCursor call, const std::string& callee, CXCursor arg, int index);
  void note_handoffs_in_tokens(CXCursor function);
  void note_writes_in_tokens(CXCursor function);
  const std::set<std::string>& project_functions();
  const std::map<std::string, std::vector<std::string>>& project_macros();
  const std::map<std::string, std::string>& file_scope_globals();
  const std::map<std::string, std::vector<std::string>>& function_tables_in(CXFile file);
  void note_functions_passed_by_macro(CXCursor call, const std::string& callee);
  void note_stored_functions(CXCursor target, CXCursor value);
  void note_local_functions(const std::string& local, CXCursor value);
  std::vector<std::string> functions_handed_by(CXCursor value);
  void record_write(CXCursor target_expr, CXCursor at, bool through_address_of, bool stores_object = false);
  // The write recorded, or nullptr when this location was already recorded.
  GlobalWriteFact* record_global_write(const std::string& var_usr, CXCursor at, bool stores_object = false);
  std::string fixed_store(CXCursor target_expr, CXCursor at);
  void note_local_pointee(CXCursor local, CXCursor value);
  std::vector<std::string> globals_written_through(CXCursor target_expr);
  std::vector<std::string> globals_pointed_by(CXCursor pointer_expr);
  std::size_t first_row_indexed(CXCursor member);
  void note_local_origin(CXCursor var, CXCursor value);
  void note_main_interpreter_local(CXCursor var, CXCursor value);
  void note_escape(CXCursor value);
  void note_escapes_through_calls();
  std::vector<ArgSource> returned_sources() const;
  void forget_local_origin(const std::string& name, unsigned offset);
  static std::optional<ArgSource> origin_before(const Scan& scan, const std::string& name, unsigned offset);
  ArgSource source_of(CXCursor value);
  bool allocates_object(CXCursor call);
  ArgSource identity_of(CXCursor call);
  ArgSource field_source(CXCursor member);
  static ArgSource macro_argument_source(const Scan& scan, const CallFact& call);
  std::optional<CXCursor> named_variable(CXCursor expr, bool through_address_of);
  void add_macro_uses();

  SourceMap& map_;
  GlobalReader& globals_;
  TranslationUnitFacts& facts_;
  GlobalClassifier object_types_;  // which parameter types are Python objects (the kwargs signature)
  CythonSourceLocator cython_sources_;
  Scan* current_ = nullptr;
  std::optional<std::set<std::string>> unit_functions_;  // project_functions
  // project_macros: each function-like macro defined in a project file, by name, with the
  // tokens of its definition.
  std::optional<std::map<std::string, std::vector<std::string>>> unit_macros_;
  // file_scope_globals: name -> USR of the unit's file-scope variables read so far, and how
  // many of facts_.globals it has taken in.
  std::map<std::string, std::string> file_scope_globals_;
  std::size_t globals_indexed_ = 0;
  // function_tables_in: per file, each file-scope `name = { ... }` whose braces name
  // functions of the project, with those functions.
  std::map<std::string, std::map<std::string, std::vector<std::string>>> file_tables_;
  MainInterpreterPredicates main_interpreter_predicates_;  // judged once per unit
};

}  // namespace subcheck::reader
