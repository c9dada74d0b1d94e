/* The way to ship both: use the limited API (one abi3 wheel) for GIL builds, and the
 * full API for the free-threaded build, where the limited API does not exist. In the
 * free-threaded configuration Py_LIMITED_API is not defined, so the Py_MOD_GIL_NOT_USED
 * claim is fine.
 *
 * TN: FT007, FT001.
 *
 * subcheck-expect-module: name=limited_abi3 init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#ifndef Py_GIL_DISABLED
#  define Py_LIMITED_API 0x030d0000
#endif
#include <Python.h>

static PyObject *
limited_abi3_negate(PyObject *module, PyObject *arg)
{
    return PyNumber_Negative(arg);
}

static PyMethodDef limited_abi3_methods[] = {
    {"negate", limited_abi3_negate, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot limited_abi3_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef limited_abi3_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "limited_abi3",
    .m_size = 0,
    .m_methods = limited_abi3_methods,
    .m_slots = limited_abi3_slots,
};

PyMODINIT_FUNC
PyInit_limited_abi3(void)  // expect-not: FT007
{
    return PyModuleDef_Init(&limited_abi3_def);
}
