/* SI003's message for Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED: only subinterpreters that
 * check extensions (the isolated ones; every one on a free-threaded build) refuse the
 * module, legacy Py_NewInterpreter() subinterpreters of a GIL build still load it (CPython's
 * _PyImport_CheckSubinterpIncompatibleExtensionAllowed). A module with no state at all
 * (after CPython's _suggestions: m_size 0, one function computing from its arguments, no
 * process-global data written) needs only its declaration changed; one with per-module
 * state must be isolated first.
 *
 * TP: SI003 at both declarations, each with the advice that fits.
 *
 * subcheck-expect-module: name=stateless_refuser init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsupported free_threading=gil-free
 * subcheck-expect-module: name=stateful_refuser init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsupported free_threading=gil-free
 */
#include <Python.h>

static PyObject *
stateless_longest(PyObject *module, PyObject *args)
{
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "UU", &a, &b)) {
        return NULL;
    }
    return Py_NewRef(PyUnicode_GetLength(a) >= PyUnicode_GetLength(b) ? a : b);
}

static PyMethodDef stateless_methods[] = {
    {"longest", stateless_longest, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot stateless_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},  // expect: SI003 "legacy Py_NewInterpreter() subinterpreters of a GIL build still load it" "only the declaration needs changing"
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef stateless_def = {
    PyModuleDef_HEAD_INIT,
    "stateless_refuser",
    NULL,
    0,
    stateless_methods,
    stateless_slots,
};

PyMODINIT_FUNC
PyInit_stateless_refuser(void)
{
    return PyModuleDef_Init(&stateless_def);
}

typedef struct {
    long calls;
} stateful_state;

static PyObject *
stateful_count(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    stateful_state *state = PyModule_GetState(module);
    return PyLong_FromLong(++state->calls);
}

static PyMethodDef stateful_methods[] = {
    {"count", stateful_count, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot stateful_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},  // expect: SI003 "subinterpreters that check extensions refuse it" "isolate its state"
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef stateful_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "stateful_refuser",
    .m_size = sizeof(stateful_state),
    .m_methods = stateful_methods,
    .m_slots = stateful_slots,
};

PyMODINIT_FUNC
PyInit_stateful_refuser(void)
{
    return PyModuleDef_Init(&stateful_def);
}
