/* Single-phase init with module state (m_size > 0): where a subinterpreter takes it at
 * all (a legacy one with check_multi_interp_extensions off), CPython calls PyInit again
 * instead of copying the first module's dict. Any subinterpreter that checks extensions
 * refuses it, exactly as it refuses probe_singlephase_basic.
 *
 * subcheck-expect-probe: interp=any subinterpreters=unsupported
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=requires-gil
 *
 * subcheck-expect-module: name=probe_singlephase_state init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

typedef struct {
    PyObject *created;  /* a list of the objects this module made, kept per module */
} state_state;

static PyObject *
state_remember(PyObject *module, PyObject *value)
{
    state_state *state = PyModule_GetState(module);
    if (PyList_Append(state->created, value) < 0) {
        return NULL;
    }
    return PyLong_FromSsize_t(PyList_GET_SIZE(state->created));
}

static PyMethodDef state_methods[] = {
    {"remember", state_remember, METH_O, "Keep a reference in module state."},
    {NULL, NULL, 0, NULL},
};

static int
state_traverse(PyObject *module, visitproc visit, void *arg)
{
    state_state *state = PyModule_GetState(module);
    Py_VISIT(state->created);
    return 0;
}

static int
state_clear(PyObject *module)
{
    state_state *state = PyModule_GetState(module);
    Py_CLEAR(state->created);
    return 0;
}

static struct PyModuleDef state_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_singlephase_state",
    .m_size = sizeof(state_state),
    .m_methods = state_methods,
    .m_traverse = state_traverse,
    .m_clear = state_clear,
};

PyMODINIT_FUNC
PyInit_probe_singlephase_state(void)  // expect: FT001
{
    PyObject *module = PyModule_Create(&state_def);  // expect: SI001
    if (module == NULL) {
        return NULL;
    }
    state_state *state = PyModule_GetState(module);
    state->created = PyList_New(0);
    if (state->created == NULL) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
