/* Version-dependent code under #if PY_VERSION_HEX >= 0x030D0000: with 3.13 headers the
 * first branch is compiled and the #else branch is not. Only compiled code is judged:
 * the borrowed-reference call in the dead #else branch must not be reported, and the
 * Py_mod_gil slot in the live branch counts.
 *
 * These expectations assume the corpus is scanned with CPython 3.13 (or newer) headers.
 *
 * TN: FT003 (inactive branch), FT001.
 *
 * subcheck-expect-module: name=version_branch init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

static PyObject *
version_branch_first(PyObject *module, PyObject *list)
{
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "expected a list");
        return NULL;
    }
#if PY_VERSION_HEX >= 0x030D0000
    return PyList_GetItemRef(list, 0);
#else
    PyObject *item = PyList_GetItem(list, 0);
    return Py_XNewRef(item);
#endif
}

static PyMethodDef version_branch_methods[] = {
    {"first", version_branch_first, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot version_branch_slots[] = {
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef version_branch_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "version_branch",
    .m_size = 0,
    .m_methods = version_branch_methods,
    .m_slots = version_branch_slots,
};

PyMODINIT_FUNC
PyInit_version_branch(void)
{
    return PyModuleDef_Init(&version_branch_def);
}
