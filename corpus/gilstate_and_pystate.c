/* The PyGILState API and the PyState_* module registry: both assume one interpreter.
 * A single-phase module that registers itself with PyState_AddModule and runs Python
 * callbacks from a C thread through PyGILState_Ensure.
 *
 * TP: SI007 (all three PyState_* functions in methods), SI008 (PyGILState_Ensure and
 *     _Release) in a callback handed to a C library.
 * TN: SI007 for PyState_AddModule in PyInit: CPython adds a single-phase module to the
 *     registry itself once PyInit returns (docs/cpython-behaviour.md #33).
 * TN: SI008 for PyGILState_GetThisThreadState (since 3.12 it answers for any interpreter).
 * TN: SI008 in a method and in a helper only methods call (_testcapi's gilstate tests):
 *     CPython calls a method on a thread with a thread state attached, which since 3.12
 *     is the one PyGILState_Ensure finds (docs/cpython-behaviour.md #29).
 * TN: SI008 for PyEval_SaveThread/PyEval_RestoreThread, which are interpreter-aware.
 *
 * subcheck-expect-module: name=callbacks init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

static struct PyModuleDef callbacks_def;

/* A C library's registration: it may call `callback` from a thread of its own. */
extern int event_source_subscribe(void (*callback)(void *), void *user_data);

/* Called by a C library on a thread Python has never seen. */
static void
library_callback(void *user_data)
{
    PyGILState_STATE gstate = PyGILState_Ensure();  // expect: SI008
    PyObject *callable = (PyObject *)user_data;
    PyObject *result = PyObject_CallNoArgs(callable);
    Py_XDECREF(result);
    PyGILState_Release(gstate);  // expect: SI008
}

static PyObject *
callbacks_subscribe(PyObject *self, PyObject *callable)
{
    if (event_source_subscribe(library_callback, Py_NewRef(callable)) < 0) {
        Py_DECREF(callable);
        PyErr_SetString(PyExc_RuntimeError, "cannot subscribe");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* Only methods call this: the thread already has a thread state, of the caller's
 * interpreter, and Ensure re-attaches that one. */
static PyObject *
call_ensured(PyObject *callable)
{
    PyGILState_STATE gstate = PyGILState_Ensure();  // expect-not: SI008
    PyObject *result = PyObject_CallNoArgs(callable);
    PyGILState_Release(gstate);  // expect-not: SI008
    return result;
}

static PyObject *
callbacks_fire(PyObject *self, PyObject *callable)
{
    return call_ensured(callable);
}

static PyObject *
callbacks_ensure_twice(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyGILState_STATE outer = PyGILState_Ensure();  // expect-not: SI008
    PyGILState_STATE inner = PyGILState_Ensure();  // expect-not: SI008
    PyGILState_Release(inner);  // expect-not: SI008
    PyGILState_Release(outer);  // expect-not: SI008
    Py_RETURN_NONE;
}

static PyObject *
callbacks_has_thread_state(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    /* Since 3.12 this is the thread state attached on this OS thread, of any interpreter. */
    return PyBool_FromLong(PyGILState_GetThisThreadState() != NULL);  // expect-not: SI008
}

static PyObject *
callbacks_wait(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyThreadState *saved = PyEval_SaveThread();  // expect-not: SI008
    PyEval_RestoreThread(saved);
    Py_RETURN_NONE;
}

static PyObject *
callbacks_self(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *module = PyState_FindModule(&callbacks_def);  // expect: SI007
    return Py_XNewRef(module);
}

static PyObject *
callbacks_forget(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    if (PyState_RemoveModule(&callbacks_def) < 0) {  // expect: SI007
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
callbacks_remember(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    if (PyState_AddModule(self, &callbacks_def) < 0) {  // expect: SI007
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef callbacks_methods[] = {
    {"subscribe", callbacks_subscribe, METH_O, NULL},
    {"fire", callbacks_fire, METH_O, NULL},
    {"ensure_twice", callbacks_ensure_twice, METH_NOARGS, NULL},
    {"has_thread_state", callbacks_has_thread_state, METH_NOARGS, NULL},
    {"wait", callbacks_wait, METH_NOARGS, NULL},
    {"self", callbacks_self, METH_NOARGS, NULL},
    {"forget", callbacks_forget, METH_NOARGS, NULL},
    {"remember", callbacks_remember, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef callbacks_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "callbacks",
    .m_size = 0,
    .m_methods = callbacks_methods,
};

PyMODINIT_FUNC PyInit_callbacks(void) {  // expect: FT001
    PyObject *module = PyModule_Create(&callbacks_def);  // expect: SI001
    if (module == NULL) {
        return NULL;
    }
    if (PyState_AddModule(module, &callbacks_def) < 0) {  // expect-not: SI007
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
