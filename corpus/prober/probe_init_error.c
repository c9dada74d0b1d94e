/* Raises from its exec function, as a module does when a dependency it needs is missing.
 * The import fails in the main interpreter already, so this is "broken", not a
 * subinterpreter problem (docs/prober.md), and the message is kept as evidence.
 *
 * subcheck-expect-probe: interp=gil subinterpreters=broken free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded subinterpreters=broken free_threading=broken
 *
 * subcheck-expect-module: name=probe_init_error init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

static int
init_error_exec(PyObject *Py_UNUSED(module))
{
    PyErr_SetString(PyExc_RuntimeError, "probe_init_error: the backend library is missing");
    return -1;
}

static PyModuleDef_Slot init_error_slots[] = {
    {Py_mod_exec, init_error_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef init_error_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_init_error",
    .m_size = 0,
    .m_slots = init_error_slots,
};

PyMODINIT_FUNC
PyInit_probe_init_error(void)
{
    return PyModuleDef_Init(&init_error_def);
}
