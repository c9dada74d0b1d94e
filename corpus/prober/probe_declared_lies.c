/* Declares everything and keeps none of it: multi-phase, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED
 * and Py_MOD_GIL_NOT_USED, but it keeps a counter in a C global, its exec refuses any
 * interpreter but the main one, it imports a single-phase helper (probe_singlephase_basic,
 * built beside it) that turns the GIL back on on free-threaded builds, and it imports
 * PyGILState_Ensure. The `declared` probe reads the slots from the PyModuleDef its PyInit
 * returns (3.12 has no Py_mod_gil: there the slot is absent); every claim the probes
 * disprove is a contradiction (docs/prober.md, "Contradictions").
 *
 * subcheck-expect-probe: interp=any subinterpreters=unsupported declared_init=multi-phase declared_mi=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED declared_gil=Py_MOD_GIL_NOT_USED declared_import=PyGILState_Ensure
 * subcheck-expect-probe: interp=gil free_threading=not-tested contradiction=declared-isolated-fails,declared-subinterpreters-uses-gilstate
 * subcheck-expect-probe: interp=free-threaded free_threading=requires-gil contradiction=declared-isolated-fails,declared-gil-not-used-reenabled,declared-subinterpreters-uses-gilstate
 * subcheck-expect-probe: interp=3.12 declared_gil=absent
 *
 * subcheck-expect-module: name=probe_declared_lies init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=unsafe
 */
#include <Python.h>

static long calls; /* one counter for every interpreter */  // expect: SI010

/* Runs on a thread the module starts: that thread has no thread state until
 * PyGILState_Ensure makes one, in the main interpreter. */
static void
lies_in_thread(void *arg)
{
    PyGILState_STATE state = PyGILState_Ensure();  // expect: SI008
    PyObject *callable = (PyObject *)arg;
    PyObject *result = PyObject_CallNoArgs(callable);
    Py_XDECREF(result);
    Py_DECREF(callable);
    PyGILState_Release(state);  // expect: SI008
}

static PyObject *
lies_call_back(PyObject *Py_UNUSED(module), PyObject *callable)
{
    calls++;  // expect: FT002
    if (PyThread_start_new_thread(lies_in_thread, Py_NewRef(callable)) == PYTHREAD_INVALID_THREAD_ID) {
        Py_DECREF(callable);
        PyErr_SetString(PyExc_RuntimeError, "cannot start a thread");
        return NULL;
    }
    Py_RETURN_NONE;
}

static int
lies_exec(PyObject *module)
{
    if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
        /* In CPython's own words, as modules that refuse by hand write it. */
        PyErr_SetString(PyExc_ImportError,
                        "module probe_declared_lies does not support loading in subinterpreters");
        return -1;
    }
    /* A single-phase helper from the same directory: on a free-threaded build its import
     * turns the GIL back on (a multi-phase module's own Py_mod_gil is read before exec,
     * so PyUnstable_Module_SetGIL here would change nothing). */
    PyObject *helper = PyImport_ImportModule("probe_singlephase_basic");
    if (helper == NULL) {
        return -1;
    }
    Py_DECREF(helper);
    return PyModule_AddIntConstant(module, "answer", 42);
}

static PyMethodDef lies_methods[] = {
    {"call_back", lies_call_back, METH_O, "Call a callable on a new thread, with the GIL ensured."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot lies_slots[] = {
    {Py_mod_exec, lies_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef lies_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_declared_lies",
    .m_size = 0,
    .m_methods = lies_methods,
    .m_slots = lies_slots,
};

PyMODINIT_FUNC
PyInit_probe_declared_lies(void)
{
    return PyModuleDef_Init(&lies_def);
}
