/* Code only the default build compiles (CPython's _operator keeps its methodcaller
 * vectorcall inside `#ifndef Py_GIL_DISABLED`): the free-threading rules judge the
 * free-threaded parse, where it does not exist.
 *
 * TN: FT003, FT004 and FT006 under `#ifndef Py_GIL_DISABLED`.
 * TP: FT003, FT004 and FT006 in the same code compiled by both builds.
 *
 * subcheck-expect-module: name=default_build_only_code init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

#ifndef Py_GIL_DISABLED
/* A shortcut the default build takes: the GIL makes the borrowed references safe. */
static Py_ssize_t
count_fast(PyObject *dict)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0, count = 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {  // expect-not: FT004
        count += Py_REFCNT(value) == 1;  // expect-not: FT006
    }
    PyObject *first = PyDict_GetItemString(dict, "first");  // expect-not: FT003
    return count + (first != NULL && PyObject_IsTrue(first) == 1);
}
#endif

static Py_ssize_t
count_everywhere(PyObject *dict)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0, count = 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {  // expect: FT004
        count += Py_REFCNT(value) == 1;  // expect: FT006
    }
    PyObject *first = PyDict_GetItemString(dict, "first");  // expect: FT003
    return count + (first != NULL && PyObject_IsTrue(first) == 1);
}

static PyObject *
count_values(PyObject *module, PyObject *dict)
{
    if (!PyDict_Check(dict)) {
        PyErr_SetString(PyExc_TypeError, "a dict is required");
        return NULL;
    }
#ifndef Py_GIL_DISABLED
    return PyLong_FromSsize_t(count_fast(dict));
#else
    return PyLong_FromSsize_t(count_everywhere(dict));
#endif
}

static PyMethodDef methods[] = {
    {"count_values", count_values, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "default_build_only_code",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit_default_build_only_code(void)
{
    return PyModuleDef_Init(&module_def);
}
