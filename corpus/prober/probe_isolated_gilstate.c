/* Isolated by the book (multi-phase, no global state, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED,
 * Py_MOD_GIL_NOT_USED), and it loads in an isolated subinterpreter, so every verdict
 * passes; but it calls back into Python on a thread it starts, through PyGILState_Ensure,
 * which attaches that thread to the main interpreter, never to the subinterpreter that
 * loaded the module (docs/cpython-behaviour.md #29). Declared support plus PyGILState is a contradiction
 * no import shows, and it must fail the run on its own (exit 1), not ride on a verdict.
 *
 * subcheck-expect-probe: interp=any subinterpreters=supported declared_init=multi-phase declared_mi=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED declared_gil=Py_MOD_GIL_NOT_USED declared_import=PyGILState_Ensure
 * subcheck-expect-probe: interp=gil free_threading=not-tested contradiction=declared-subinterpreters-uses-gilstate
 * subcheck-expect-probe: interp=free-threaded free_threading=gil-free contradiction=declared-subinterpreters-uses-gilstate
 * subcheck-expect-probe: interp=3.12 declared_gil=absent
 *
 * subcheck-expect-module: name=probe_isolated_gilstate init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
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
gilstate_call(PyObject *Py_UNUSED(module), PyObject *callable)
{
    if (PyThread_start_new_thread(gilstate_in_thread, Py_NewRef(callable)) == PYTHREAD_INVALID_THREAD_ID) {
        Py_DECREF(callable);
        PyErr_SetString(PyExc_RuntimeError, "cannot start a thread");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef gilstate_methods[] = {
    {"call", gilstate_call, METH_O, "Call a function on a new thread, attached through PyGILState."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot gilstate_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef gilstate_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_isolated_gilstate",
    .m_size = 0,
    .m_methods = gilstate_methods,
    .m_slots = gilstate_slots,
};

PyMODINIT_FUNC
PyInit_probe_isolated_gilstate(void)
{
    return PyModuleDef_Init(&gilstate_module);
}
