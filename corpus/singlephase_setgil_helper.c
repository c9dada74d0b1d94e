/* Single-phase init that opts out of the GIL from a helper function, the way many real
 * modules do (docs/cpython-behaviour.md #12): PyUnstable_Module_SetGIL only exists in the
 * free-threaded build, so the call sits under #ifdef Py_GIL_DISABLED, and it is made by
 * a helper the PyInit calls, not by PyInit itself. The module is created with
 * PyModule_Create2, which PyModule_Create expands to.
 *
 * True negative for FT001 (single-phase, SetGIL seen in the free-threaded configuration).
 *
 * subcheck-expect-module: name=sp_setgil init=single-phase multiple_interpreters=absent gil=Py_MOD_GIL_NOT_USED subinterpreters=unsupported free_threading=gil-free
 */
#include <Python.h>

static PyObject *
setgil_add(PyObject *self, PyObject *args)
{
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) {
        return NULL;
    }
    return PyLong_FromLong(a + b);
}

static PyMethodDef setgil_methods[] = {
    {"add", setgil_add, METH_VARARGS, "Add two integers."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef setgil_def = {
    PyModuleDef_HEAD_INIT,
    "sp_setgil",
    NULL,
    -1,
    setgil_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

/* Declares that this module keeps no state that needs the GIL's protection. */
static int
mark_module_gil_free(PyObject *module)
{
#ifdef Py_GIL_DISABLED
    if (PyUnstable_Module_SetGIL(module, Py_MOD_GIL_NOT_USED) < 0) {
        return -1;
    }
#else
    (void)module;
#endif
    return 0;
}

PyMODINIT_FUNC
PyInit_sp_setgil(void)
{
    PyObject *module = PyModule_Create2(&setgil_def, PYTHON_API_VERSION);  // expect: SI001
    if (module == NULL) {
        return NULL;
    }
    if (mark_module_gil_free(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
