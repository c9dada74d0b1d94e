/* PEP 793's export hook (docs/cpython-behaviour.md #22). CPython 3.15 looks for
 * PyModExport_probe_modexport before PyInit_probe_modexport and, finding it, builds the
 * module from the slots it returns (Py_mod_abi is mandatory there): a module that
 * supports a per-interpreter GIL and needs no GIL. Older versions only know
 * PyInit_probe_modexport, here a single-phase module, which every subinterpreter that
 * checks extensions refuses. The same file, two verdicts: the prober must find and judge
 * the export hook on 3.15 rather than report the module as unimportable.
 *
 * subcheck-expect-probe: interp=any subinterpreters=unsupported
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=requires-gil
 * subcheck-expect-probe: interp=3.15 subinterpreters=supported
 *
 * The analyzer reads the default interpreter's headers (3.13 or 3.14 here), which see
 * only the PyInit function. With 3.15's headers it reads the export hook (init export)
 * and keeps PyInit as pyinit_fallback (tests/cli_test.cpp, CliScanExportHook).
 * subcheck-expect-module: name=probe_modexport init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

#if PY_VERSION_HEX >= 0x030F0000
PyABIInfo_VAR(modexport_abi);

static PySlot modexport_slots[] = {
    PySlot_DATA(Py_mod_abi, &modexport_abi),
    PySlot_DATA(Py_mod_name, "probe_modexport"),
    PySlot_DATA(Py_mod_doc, "defined by PyModExport_probe_modexport"),
    PySlot_DATA(Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED),
    PySlot_DATA(Py_mod_gil, Py_MOD_GIL_NOT_USED),
    PySlot_END,
};

PyMODEXPORT_FUNC
PyModExport_probe_modexport(void)
{
    return modexport_slots;
}
#endif

static struct PyModuleDef modexport_legacy_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_modexport",
    .m_doc = "defined by PyInit_probe_modexport",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit_probe_modexport(void)  // expect: FT001
{
    return PyModule_Create(&modexport_legacy_def);  // expect: SI001
}
