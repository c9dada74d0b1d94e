/* The old way: single-phase init, a process-global exception and cache, and
 * borrowed references. Every line marked `expect:` is a finding subcheck reports. */
/* subcheck-expect-module: name=_speedups init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *SpeedupsError;  // expect: SI006 "'SpeedupsError'" "in PyInit__speedups"
static PyObject *last_key;  // expect: SI006

static PyObject *
lookup(PyObject *self, PyObject *args)
{
    PyObject *mapping, *key;
    if (!PyArg_ParseTuple(args, "OO", &mapping, &key)) {
        return NULL;
    }
    PyObject *value = PyDict_GetItem(mapping, key);  // expect: FT003 "use PyDict_GetItemRef"
    if (value == NULL) {
        PyErr_SetObject(SpeedupsError, key);
        return NULL;
    }
    Py_XSETREF(last_key, Py_NewRef(key));
    return Py_NewRef(value);
}

static PyMethodDef speedups_methods[] = {
    {"lookup", lookup, METH_VARARGS, "Look a key up, remembering it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "fastcache._speedups",
    .m_size = -1,
    .m_methods = speedups_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)  // expect: FT001
{
    PyObject *module = PyModule_Create(&speedups_module);  // expect: SI001
    if (module == NULL) {
        return NULL;
    }
    SpeedupsError = PyErr_NewException("fastcache._speedups.Error", NULL, NULL);
    if (PyModule_AddObjectRef(module, "Error", SpeedupsError) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
