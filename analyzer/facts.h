// What the parser learns from one translation unit in one build configuration.
// Facts are plain data: no libclang types leak past extract.cpp and analyzer/reader/, so
// the module model and the checks can be tested and reasoned about without a parser in
// the loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/finding.h"
#include "core/vocabulary.h"

namespace subcheck {

// Where a call's argument comes from, as far as its own function can tell: one of the
// function's parameters still holding what the caller passed (whose origin the module
// model follows through the callers, analyzer/module_model.h), or a container the function
// has just made (`PyDict_New()`, `PyDict_Keys(d)`: a new reference no other thread has).
struct ArgSource {
  enum class Kind {
    unknown,
    parameter,        // what the caller passed
    fresh_container,  // a container a call just made (PyDict_New, PyUnicode_Split, ...),
                      // a module just made, or that module's dict (PyModule_GetDict), a
                      // struct on the function's stack (`&buffer`), or an object just
                      // allocated (tp_alloc, PyObject_New, a base type's tp_new given the
                      // caller's own class)
    call_result,      // what a call of `function` returned: fresh when every return of
                      // that function is (the module model decides, across units)
  } kind = Kind::unknown;
  int parameter = -1;      // for `parameter`: its position in the enclosing function
  std::string function{};  // for `call_result`: the callee's name
  // The value is this field of what the rest describes (`buffer->list`, with `buffer` a
  // parameter, or `&buffer` a struct on the caller's stack): private when that is, and no
  // code hands the field on (FunctionFact::fields_shared).
  std::string field{};
  // The value is the address of what the rest describes, as a number
  // (`PyLong_FromVoidPtr(obj)`): a key naming that object in a side table, not the object.
  bool identity = false;
};

// A local passed as an argument: the callee by name, and the argument's position.
struct PassedArgument {
  std::string callee;
  int position = -1;
};

// A call (or a use of an API macro such as PyList_GET_ITEM) inside a function body.
struct CallFact {
  std::string callee;
  SourceLocation location;
  unsigned offset = 0;                 // byte offset in location.file, for ordering
  std::vector<std::string> args;       // source text of each argument (macro names kept)
  std::string first_arg_var;           // variable named by the first argument (after & and casts), if any
  std::vector<ArgSource> arg_sources;  // one per argument (for a macro use: the first only)
  bool is_macro = false;               // seen as a macro use, not a real call
  int critical_section_depth = 0;      // Py_BEGIN_CRITICAL_SECTION nesting at this point
  bool under_lock = false;             // between a mutex lock and its unlock in the same function
  // The call is an operand of == or != itself: its result is compared by address and
  // never dereferenced (`PyWeakref_GetObject(ref) == self`).
  bool result_only_compared = false;
  // The local holding the result is compared, tested, and passed to these calls, and used
  // no other way (empty otherwise): as good as compared when each callee only compares
  // that parameter (FunctionFact::parameters_only_compared; `_decimal`'s list_as_flags
  // hands each borrowed item to exception_as_flag, which looks for it among the signals).
  std::vector<PassedArgument> result_passed_to;
};

// A write to a variable with static storage duration.
struct GlobalWriteFact {
  std::string var_usr;
  std::string function;  // enclosing function
  SourceLocation location;
  // Guarded by a test of the same variable (`if (!x) x = ...`), storing something other
  // than zero or NULL (`if (x) { free(x); x = NULL; }` clears it).
  bool lazy_init = false;
  bool under_lock = false;  // inside a critical section or between lock/unlock
  // Between a mutex lock and its unlock (PyMutex_Lock, pthread_mutex_lock, ...): one lock
  // for the process, unlike a critical section, which locks one object and is a no-op
  // with the GIL.
  bool under_mutex = false;
  // Inside an `if` only the main interpreter enters (reader/main_interpreter.h).
  bool main_interpreter_only = false;
  bool read_modify_write = false;  // `x++`, `--x`, `x += n`: a counter, lost updates when racing
  // `x = 1`, `s.ready = true`, `p = NULL`: the value stored is a constant expression, as a
  // flag's is (an "already initialised" mark), not data computed at the write.
  bool stores_constant = false;
  // The write puts a Python object where the global's type does not say one lives: a
  // Py_buffer's `obj` (`view.obj = self`), or a buffer request filling a static Py_buffer
  // (PyObject_GetBuffer, PyBuffer_FillInfo with an exporter), which takes a reference to
  // the exporter. Such a global holds a Python object (SI006), not only C data (SI010).
  bool stores_object = false;
  // `desc.fields[7].name = PyStructSequence_UnnamedField`, `hook = PyMem_Malloc`: the target
  // as spelled, then the value, when the value is the same for the whole process (a function,
  // a string literal, a global's address, a const global's value) and the write names the
  // global itself; "" otherwise. A variable whose every write stores, per target, one such
  // value holds the same thing whichever interpreter wrote it last (SI010).
  std::string fixed_store;
  // In a Cython-generated unit: the .pyx line this write was generated from, as the nearest
  // `/* "pkg/mod.pyx":12` comment before it in its function says (see generated_from below).
  SourceLocation generated_from;
};

// A definition of a variable with static storage duration (file scope or function static).
struct GlobalVarFact {
  enum class Kind {
    python_object,   // holds Python objects: PyObject *, arrays or structs of them
    static_type,     // a PyTypeObject defined statically
    static_object,   // another Python object defined statically
    api_table,       // PyMethodDef, PyModuleDef, slots, specs, kwlists, _PyArg_Parser ...
    sync_primitive,  // PyMutex, pthread mutexes, atomics, thread-local data: made to be shared
    constant,        // const-qualified data
    other_mutable,   // any other mutable data
    // A PyThread_type_lock: the lock it points to is made to be shared, but the variable is
    // a pointer PyThread_allocate_lock's result is assigned to, written like any other
    // (_testcapi's `thread_done = PyThread_allocate_lock()` in a method).
    lock_handle,
  };
  std::string name;
  std::string usr;
  std::string type;  // as spelled in the source
  SourceLocation location;
  Kind kind = Kind::other_mutable;
  bool function_static = false;
  bool external_linkage = false;  // visible to other units (a type defined in one file, readied in another)
  std::string function;           // enclosing function of a function static
  bool thread_local_storage = false;
  // Functions its initialiser names: method tables, type slots, getset tables, callback
  // structs. CPython (or whoever reads the table) calls them at run time.
  std::vector<std::string> functions;
  // Of those, the ones that take one pointer and return nothing. In a type (a static
  // PyTypeObject, a PyType_Slot array) they are the slots CPython calls once the object's
  // last reference is gone (tp_dealloc, tp_finalize, tp_del): their argument is an object
  // no other thread holds.
  std::vector<std::string> destructors;
  // Global variables (usrs) its initialiser names: `{"AsIs", &asisType}` rows of a type
  // table, a type's `tp_methods` array defined in another file.
  std::vector<std::string> referenced_globals;
  // In a Cython-generated unit, for a cdef class's type object (`__pyx_type_<mod>_<Class>`):
  // the .pyx line of `cdef class <Class>:`, from the comment Cython puts before the class's
  // object struct. The file is the .pyx found beside the generated file (or under one of its
  // parent directories), as an absolute path; as Cython spelled it when not found. Empty
  // (line 0) when there is no such comment.
  SourceLocation generated_from;
  // A statically allocated object (Kind::static_object) whose initialiser uses
  // PyObject_HEAD_INIT or PyVarObject_HEAD_INIT naming its type (not NULL, which leaves the
  // type to be set at run time): from 3.12 on, the headers make its reference count
  // _Py_IMMORTAL_REFCNT (Include/object.h), so no interpreter's incref or decref ever
  // changes it.
  bool immortal_head_init = false;
};

// One entry of a PyModuleDef_Slot array ({slot, value}) or of a 3.15 PySlot array
// ({.sl_id, .sl_flags, .sl_ptr/.sl_func/...}, PySlot_DATA and friends): the same facts.
struct SlotFact {
  std::int64_t id = 0;                 // Py_mod_create = 1, Py_mod_exec = 2, ...
  std::string value;                   // macro or symbol as spelled (e.g. Py_MOD_GIL_NOT_USED)
  std::optional<std::int64_t> number;  // the value when it is a constant
  SourceLocation location;
};

struct SlotArrayFact {
  std::string name;
  std::string usr;
  SourceLocation location;
  std::vector<SlotFact> slots;
  bool parse_errors = false;  // an error inside its definition: an entry may be missing
};

struct ModuleDefFact {
  std::string name;  // the PyModuleDef variable
  std::string usr;
  SourceLocation location;
  std::string m_name;  // as spelled: usually a string literal
  std::optional<std::int64_t> m_size;
  std::string slots_usr;  // the m_slots array, when it names one
  std::string slots_name;
  bool parse_errors = false;  // an error inside its definition: a member may be missing
};

// A function handed on without being called where it is named: passed as an argument of a
// call (`pthread_create(&t, NULL, worker, arg)`, `sqlite3_create_function_v2(..., &step, ...)`)
// or stored by an assignment (`rl_pre_input_hook = on_pre_input_hook;`, `cfg.cb = f;`).
// Whoever receives it decides when, and on which thread, it runs (SI008).
struct FunctionHandoff {
  enum class Kind { argument, assignment } kind = Kind::argument;
  int position = -1;     // for an argument: its position in the call, from 0
  std::string function;  // the function handed on
  // For an argument: the callee (a constructor's class, qualified: "std::thread"); for an
  // assignment: the global variable assigned, or the member's name for `x.f = ...` /
  // `p->f = ...`. A store into a local is no handoff: the local is followed to where it goes.
  std::string target;
  bool target_is_global = false;  // an assignment to a variable with static storage (a library's hook)
  SourceLocation location;
};

struct FunctionFact {
  std::string name;
  std::string usr;
  SourceLocation location;
  bool external_linkage = false;
  // The parameter that receives a call's own **kwargs dict when CPython calls the function
  // through a table: the third of exactly three, after `PyObject *args`, the first pointing
  // to a Python object's struct (METH_VARARGS | METH_KEYWORDS, tp_init, tp_new, tp_call).
  // -1 when the signature is not that one. By position and type, never by name.
  int kwargs_parameter = -1;
  std::vector<CallFact> calls;                    // in source order, API macros included
  std::vector<std::string> referenced_functions;  // called or taken by address: slots, method tables
  // USRs of the static-storage variables it uses, whatever their linkage: the PyModuleDef,
  // type specs and tables it hands to CPython (what the module model follows to the
  // functions a module reaches), and external ones defined in other files.
  std::vector<FunctionHandoff> handoffs;  // functions it passes on or stores, in source order
  std::vector<std::string> referenced_globals;
  // USRs of static-storage variables a `return` names (`return slots;`, `&slots[0]`): the
  // slot array a PyModExport_ hook hands to CPython, whatever its linkage.
  std::vector<std::string> returned_globals;
  // USRs of static-storage variables read in a condition (an if, while or do-while test, the
  // test of ?:, an operand of && or ||), outside any call's arguments: `if (loaded) return 0;`,
  // `if (!state.ready)`. The flags a function's control flow depends on.
  std::vector<std::string> tested_globals;
  // Of referenced_globals, those it names only inside an `if` that the main interpreter
  // alone enters (`if (is_main && cache)`, reader/main_interpreter.h).
  std::vector<std::string> main_interpreter_globals;
  // Of those, the ones an `if` tests whose branch leaves the function at once (`if (loaded)
  // return 0;`, `{ PyErr_SetString(...); return -1; }`: a return or goto among the branch's
  // own statements), in a function taking a PyObject * (the module, the spec): a test that
  // decides whether the module's set-up runs. A C library's once-setting (libmpdec's
  // mpd_setminalloc) takes no Python object and is left out.
  std::vector<std::string> exit_guard_globals;
  // An error inside its body (a name from a missing header, say): calls clang could not
  // make sense of may be missing from `calls`, though API macros still come from tokens.
  bool parse_errors = false;
  // It returns a pointer, has at least one `return`, and every `return` (outside lambdas)
  // gives a null pointer constant: NULL, 0, nullptr. A function that can only fail, as
  // CPython's createfunc_null / createfunc_raise: a Py_mod_create slot naming one fails
  // every import (docs/cpython-behaviour.md #27). False after a parse error in the body.
  bool returns_only_null = false;
  // A statement of its body itself (not inside an if or a loop) sets an exception
  // (PyErr_SetString, PyErr_Format, ...) before any statement that holds a `return`, and
  // nothing in it clears one: every call returns with an exception set. A create slot's
  // function so fails every import whatever it returns (CPython's
  // createfunc_unreported_exception; docs/cpython-behaviour.md #27). False after a parse
  // error in the body.
  bool raises_before_any_return = false;
  // The origin of each value its own `return`s give, in source order, null pointer
  // constants left out: a local that was also stored elsewhere (a member, a global,
  // another call's argument after the first, another local) counts as unknown, since the
  // caller then is not its only holder.
  std::vector<ArgSource> returned_sources;
  // Struct fields by name (`state->codes` gives "codes"), from the body's tokens
  // (reader/field_uses.h): those it assigns a fresh container (`= PyDict_New()`), those it
  // passes first to an API that changes a container (PyDict_SetItem, PyList_Append, ...),
  // and those it uses any other way than reading through an API, testing, or
  // reference counting (passed on, stored, returned, its address taken). A field only
  // initialisation makes and changes, and nothing shares, holds a container no later call
  // changes.
  std::vector<std::string> fields_made;
  std::vector<std::string> fields_changed;
  std::vector<std::string> fields_shared;
  // Positions of the parameters its body only compares by address or tests for NULL
  // (never reads through, passes on, stores or assigns). Empty after a parse error in the
  // body.
  std::vector<int> parameters_only_compared;
};

// `Py_REFCNT(x) == 1` and similar uniqueness tests.
struct PatternFact {
  enum class Kind { refcnt_uniqueness, nested_critical_section } kind;
  SourceLocation location;
  std::string function;
  std::string text;
};

// A binding-generator module macro found by its tokens: PYBIND11_MODULE, NB_MODULE.
struct BindingModuleFact {
  std::string generator;  // "pybind11" or "nanobind"
  std::string module_name;
  SourceLocation location;
  std::vector<std::string> options;  // remaining macro arguments, as spelled
};

struct ParseDiagnostic {
  Severity severity = Severity::error;
  SourceLocation location;
  std::string message;
};

// An #include clang could not find: its users did not parse, the rest of the unit did.
struct MissingHeader {
  std::string header;  // as spelled in the #include, without quotes or <>
  SourceLocation included_at;
};

struct TranslationUnitFacts {
  std::string file;  // the main source file
  BuildConfig config = BuildConfig::gil;
  bool parsed = false;   // false: libclang produced no AST at all
  bool complete = true;  // false after a fatal parse error (a missing header, say)
  // false when no fact of the unit can be trusted: no AST, an error inside Python's or the
  // system's headers (the limited API on a free-threaded build, a version mismatch), or a
  // parse clang stopped early. Missing headers leave it true: declarations that parsed
  // without errors still say what they say (docs/real-code.md, "missing headers").
  bool trustworthy = true;
  std::vector<MissingHeader> missing_headers;
  std::vector<ParseDiagnostic> diagnostics;  // errors and fatal errors only
  std::string generator;                     // "cython" when the file says it was generated by Cython
  // The modules a build file lists this source for (CompileCommand::declared_modules): not
  // read from the source, so neither cached nor encoded; analyze() sets it after parsing.
  std::vector<std::string> declared_modules;
  bool limited_api = false;  // Py_LIMITED_API defined for this unit
  // Py_TARGET_ABI3T defined for this unit: the PEP 803 opt-in to abi3t, the stable ABI that
  // free-threaded 3.15+ loads (3.15's pyabi.h then defines Py_LIMITED_API and
  // _Py_OPAQUE_PYOBJECT itself). Earlier headers ignore the macro.
  bool abi3t = false;
  // The value Py_LIMITED_API (or, failing that, Py_TARGET_ABI3T) is defined to, as spelled
  // ("0x030f0000"); empty when not defined or defined without a value.
  std::string limited_api_version;
  std::vector<FunctionFact> functions;
  std::vector<GlobalVarFact> globals;
  std::vector<GlobalWriteFact> global_writes;
  std::vector<ModuleDefFact> module_defs;
  std::vector<SlotArrayFact> slot_arrays;
  std::vector<PatternFact> patterns;
  std::vector<BindingModuleFact> binding_modules;
  // Every file the parse read: the unit and each header it included, as absolute paths
  // (what analyzer/facts_cache.h checks before reusing these facts).
  std::vector<std::string> inputs;
};

}  // namespace subcheck
