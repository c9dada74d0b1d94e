/* Single-phase init that calls back into Python from any thread with PyGILState_Ensure,
 * and reads a dict with the borrowed-reference PyDict_GetItemString: what a binary with no
 * readable PyModuleDef still tells through its imports. Refused by every checking
 * subinterpreter; re-enables the GIL on free-threaded builds.
 *
 * subcheck-expect-probe: interp=any subinterpreters=unsupported declared_init=single-phase declared_mi=absent declared_gil=absent declared_import=PyGILState_Ensure
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=requires-gil
 *
 * subcheck-expect-module: name=probe_singlephase_gilstate init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

/* Runs on a thread the module starts: that thread has no thread state until
 * PyGILState_Ensure makes one, in the main interpreter. */
static void
gilstate_in_thread(void *arg)
{
    PyGILState_STATE state = PyGILState_Ensure();  // expect: SI008
    PyObject *callable = (PyObject *)arg;
    PyObject *result = PyObject_CallNoArgs(callable);
    Py_XDECREF(result);
    Py_DECREF(callable);
    PyGILState_Release(state);  // expect: SI008
}

static PyObject *
gilstate_call_back(PyObject *Py_UNUSED(module), PyObject *callable)
{
    if (PyThread_start_new_thread(gilstate_in_thread, Py_NewRef(callable)) == PYTHREAD_INVALID_THREAD_ID) {
        Py_DECREF(callable);
        PyErr_SetString(PyExc_RuntimeError, "cannot start a thread");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
gilstate_lookup(PyObject *Py_UNUSED(module), PyObject *dict)
{
    if (!PyDict_Check(dict)) {
        PyErr_SetString(PyExc_TypeError, "a dict is required");
        return NULL;
    }
    PyObject *value = PyDict_GetItemString(dict, "key");  // expect: FT003
    return Py_NewRef(value ? value : Py_None);
}

static PyMethodDef gilstate_methods[] = {
    {"call_back", gilstate_call_back, METH_O, "Call a callable on a new thread, with the GIL ensured."},
    {"lookup", gilstate_lookup, METH_O, "d.get('key')."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef gilstate_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_singlephase_gilstate",
    .m_size = -1,
    .m_methods = gilstate_methods,
};

PyMODINIT_FUNC
PyInit_probe_singlephase_gilstate(void)  // expect: FT001
{
    return PyModule_Create(&gilstate_def);  // expect: SI001
}
