/* A multi-phase module built for the 3.5 limited API, as CPython's xxlimited_35 is: that
 * API declares neither Py_mod_multiple_interpreters nor its values, so SI002's fix also
 * says to target the 3.12 limited API or later. The free-threaded build uses the full API
 * (the limited API does not exist there in 3.13).
 *
 * TP: SI002 with the version advice; FT001 at the slots (no Py_mod_gil slot).
 *
 * subcheck-expect-module: name=limited_old init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 */
#ifndef Py_GIL_DISABLED
#  define Py_LIMITED_API 0x03050000
#endif
#include <Python.h>

static PyObject *
limited_old_absolute(PyObject *module, PyObject *arg)
{
    return PyNumber_Absolute(arg);
}

static PyMethodDef limited_old_methods[] = {
    {"absolute", limited_old_absolute, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static int
limited_old_exec(PyObject *module)
{
    return PyModule_AddIntConstant(module, "answer", 42);
}

static PyModuleDef_Slot limited_old_slots[] = {  // expect: FT001
    {Py_mod_exec, limited_old_exec},
    {0, NULL},
};

static struct PyModuleDef limited_old_def = {  // expect: SI002 "target the 3.12 limited API or later (it is built for Py_LIMITED_API 0x03050000"
    PyModuleDef_HEAD_INIT,
    .m_name = "limited_old",
    .m_size = 0,
    .m_methods = limited_old_methods,
    .m_slots = limited_old_slots,
};

PyMODINIT_FUNC
PyInit_limited_old(void)
{
    return PyModuleDef_Init(&limited_old_def);
}
