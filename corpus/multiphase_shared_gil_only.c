/* Multi-phase init that declares Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED (after CPython's
 * _testmultiphase "_test_shared_gil_only", rewritten): it loads in legacy subinterpreters
 * that share the main GIL, and is refused by isolated ones (concurrent.interpreters,
 * InterpreterPoolExecutor). It is fine on the free-threaded build.
 *
 * TP: SI003. TN: SI002 (the slot is present), FT001 (Py_mod_gil present).
 *
 * subcheck-expect-module: name=shared_gil_only init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=shared-gil-only free_threading=gil-free
 */
#include <Python.h>

static PyObject *
shared_gil_only_answer(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(42);
}

static int
shared_gil_only_exec(PyObject *module)
{
    return PyModule_AddIntConstant(module, "ANSWER", 42);
}

static PyMethodDef shared_gil_only_methods[] = {
    {"answer", shared_gil_only_answer, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot shared_gil_only_slots[] = {
    {Py_mod_exec, shared_gil_only_exec},
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED},  // expect: SI003
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef shared_gil_only_def = {  // expect-not: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "shared_gil_only",
    .m_size = 0,
    .m_methods = shared_gil_only_methods,
    .m_slots = shared_gil_only_slots,
};

PyMODINIT_FUNC
PyInit_shared_gil_only(void)
{
    return PyModuleDef_Init(&shared_gil_only_def);
}
