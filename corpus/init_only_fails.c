/* A PyInit that always returns with an exception set fails every import: the import
 * machinery turns it into SystemError ("initialization of init_unreported raised
 * unreported exception"), in every interpreter, so no module object ever exists
 * (docs/cpython-behaviour.md #31; CPython's _testmultiphase_export_unreported_exception,
 * rewritten). Here that module shares its method table and its slots with one that loads,
 * as the fixtures of _testmultiphase.c share theirs.
 *
 * TP: SI004 at the shared method's PyState_FindModule, for `loads_fine` (it claims a
 * per-interpreter GIL): verdict unsafe.
 * TN: `init_unreported` makes the same claim but is not blamed for that call (a module
 * nothing creates runs none of its code): its verdict is unsupported (nothing loads it),
 * not unsafe. The same for `init_uninitialised`, whose PyInit returns its def without
 * PyModuleDef_Init, which CPython refuses as an uninitialised object (#32; CPython's
 * _testmultiphase_export_uninitialized): it is not blamed either, and its "could not
 * judge" diagnostic says the import always fails.
 *
 * subcheck-expect-module: name=loads_fine init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsafe free_threading=gil-free
 * subcheck-expect-module: name=init_unreported init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsupported free_threading=gil-free
 * subcheck-expect-module: name=init_uninitialised init=unknown multiple_interpreters=absent gil=absent subinterpreters=unknown free_threading=unknown
 */
#include <Python.h>

static PyModuleDef loads_fine_def;

static PyObject *
shared_lookup(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *module = PyState_FindModule(&loads_fine_def);  // expect: SI004 "module 'loads_fine'"
    return Py_NewRef(module != NULL ? module : Py_None);
}

static PyMethodDef shared_methods[] = {
    {"lookup", shared_lookup, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot loads_fine_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef loads_fine_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "loads_fine",
    .m_methods = shared_methods,
    .m_slots = loads_fine_slots,
};

PyMODINIT_FUNC
PyInit_loads_fine(void)
{
    return PyModuleDef_Init(&loads_fine_def);
}

static PyModuleDef init_unreported_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "init_unreported",
    .m_methods = shared_methods,
    .m_slots = loads_fine_slots,
};

PyMODINIT_FUNC
PyInit_init_unreported(void)
{
    PyErr_SetString(PyExc_SystemError, "refused on purpose");
    return PyModuleDef_Init(&init_unreported_def);
}

static PyModuleDef init_uninitialised_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "init_uninitialised",
    .m_methods = shared_methods,
    .m_slots = loads_fine_slots,
};

PyMODINIT_FUNC
PyInit_init_uninitialised(void)
{
    return (PyObject *)&init_uninitialised_def;
}
