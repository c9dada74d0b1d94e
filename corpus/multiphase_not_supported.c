/* Multi-phase init that refuses every subinterpreter outright with
 * Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED (CPython's _testmultiphase has the same
 * case), and says explicitly that it needs the GIL with Py_MOD_GIL_USED.
 *
 * Expectation choices recorded here:
 *  - an explicit Py_MOD_GIL_USED is a deliberate declaration, not a missing slot: no FT001,
 *    but the module still requires the GIL;
 *  - Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED makes the subinterpreter verdict
 *    "unsupported", the same as single-phase init.
 *
 * TP: SI003. TN: SI002, FT001.
 *
 * subcheck-expect-module: name=not_supported init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED gil=Py_MOD_GIL_USED subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

static int
not_supported_exec(PyObject *module)
{
    return PyModule_AddStringConstant(module, "reason", "wraps a library with global state");
}

static PyModuleDef_Slot not_supported_slots[] = {
    {Py_mod_exec, not_supported_exec},
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},  // expect: SI003
    {Py_mod_gil, Py_MOD_GIL_USED},
    {0, NULL},
};

static PyModuleDef not_supported_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "not_supported",
    .m_size = 0,
    .m_slots = not_supported_slots,
};

PyMODINIT_FUNC
PyInit_not_supported(void)
{
    return PyModuleDef_Init(&not_supported_def);
}
