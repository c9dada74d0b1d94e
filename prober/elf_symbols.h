// What an extension module's ELF dynamic symbol table says about it, read with libelf
// without loading the file (loading runs its constructors).
#pragma once

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

namespace subcheck::prober {

struct ElfSymbols {
  // Defined, exported PyInit_*, PyInitU_*, PyModExport_* and PyModExportU_* functions
  // (PEP 793's export hook, CPython 3.15+), sorted. One file may export several
  // (CPython's own _testmultiphase does); non-ASCII module names use the U forms.
  std::vector<std::string> init_symbols;
  // Which object-reference helpers the file imports from libpython. A free-threaded build
  // inlines Py_DECREF into calls to _Py_MergeZeroLocalRefcount / _Py_DecRefShared, a GIL
  // build into _Py_Dealloc: the only hint of the ABI a plain "foo.so" was built for.
  bool imports_free_threaded_refcount = false;
  bool imports_gil_refcount = false;
  // The undefined C-API functions of kCApiImportsOfInterest the file imports, sorted: what
  // a binary tells of per-process state (PyState_*), of the GIL (PyGILState_*,
  // PyUnstable_Module_SetGIL) and of borrowed references (unsafe without the GIL) when no
  // PyModuleDef can be read. Macros (PyList_GET_ITEM) leave no symbol and cannot be seen.
  std::vector<std::string> c_api_imports;
};

// The C-API functions whose import is evidence (docs/prober.md, "Declared").
inline constexpr const char* kCApiImportsOfInterest[] = {
    "PyState_FindModule",       "PyState_AddModule",   "PyState_RemoveModule",
    "PyGILState_Ensure",        "PyGILState_Release",  "PyGILState_GetThisThreadState",
    "PyUnstable_Module_SetGIL", "PyDict_GetItem",      "PyDict_GetItemString",
    "PyList_GetItem",           "PyWeakref_GetObject", "PyDict_Next",
    "PyModule_Create2",         "PyModuleDef_Init",    "PyModule_FromDefAndSpec2",
};

// The symbols of `file`, or a message saying why they could not be read (not ELF,
// unreadable, no dynamic symbol table, ...).
std::variant<ElfSymbols, std::string> read_elf_symbols(const std::filesystem::path& file);

}  // namespace subcheck::prober
