/* Multi-phase init declaring Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED: every
 * subinterpreter that checks extensions refuses it, the isolated one and the shared-GIL one
 * alike, and the main interpreter loads it. (CPython enforces the declaration only when
 * check_multi_interp_extensions is on: a legacy subinterpreter with the check off, the GIL
 * build's old default, loads it without a word.)
 *
 * subcheck-expect-probe: interp=any subinterpreters=unsupported
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=requires-gil
 *
 * subcheck-expect-module: name=probe_multiphase_not_supported init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

static int
not_supported_exec(PyObject *module)
{
    return PyModule_AddStringConstant(module, "reason", "keeps process-wide state");
}

static PyModuleDef_Slot not_supported_slots[] = {  // expect: FT001
    {Py_mod_exec, not_supported_exec},
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},  // expect: SI003
    {0, NULL},
};

static PyModuleDef not_supported_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_multiphase_not_supported",
    .m_size = 0,
    .m_slots = not_supported_slots,
};

PyMODINIT_FUNC
PyInit_probe_multiphase_not_supported(void)
{
    return PyModuleDef_Init(&not_supported_def);
}
