/* Single-phase init with module state (after CPython's _testsinglephase "with_state"
 * case, rewritten): m_size > 0 and no C globals. Isolated state does not rescue it: a
 * single-phase module is still refused by every isolated subinterpreter, and on
 * free-threaded builds by every subinterpreter.
 *
 * Also a true negative for SI006/SI010 (all state lives in the module object) and for
 * SI008 (threads are released with Py_BEGIN_ALLOW_THREADS, not the PyGILState API).
 *
 * subcheck-expect-module: name=sp_with_state init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>
#include <unistd.h>

typedef struct {
    PyObject *error;
    long calls;
} with_state_state;

static with_state_state *
get_state(PyObject *module)
{
    return (with_state_state *)PyModule_GetState(module);
}

static PyObject *
with_state_call(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    with_state_state *state = get_state(module);
    state->calls += 1;
    return PyLong_FromLong(state->calls);
}

static PyObject *
with_state_nap(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    Py_BEGIN_ALLOW_THREADS
    usleep(10);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static int
with_state_traverse(PyObject *module, visitproc visit, void *arg)
{
    Py_VISIT(get_state(module)->error);
    return 0;
}

static int
with_state_clear(PyObject *module)
{
    Py_CLEAR(get_state(module)->error);
    return 0;
}

static PyMethodDef with_state_methods[] = {
    {"call", with_state_call, METH_NOARGS, NULL},
    {"nap", with_state_nap, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef with_state_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "sp_with_state",
    .m_size = sizeof(with_state_state),
    .m_methods = with_state_methods,
    .m_traverse = with_state_traverse,
    .m_clear = with_state_clear,
};

PyMODINIT_FUNC PyInit_sp_with_state(void) {  // expect: FT001
    PyObject *module = PyModule_Create(&with_state_def);  // expect: SI001
    if (module == NULL) {
        return NULL;
    }
    with_state_state *state = get_state(module);
    state->error = PyErr_NewException("sp_with_state.error", NULL, NULL);
    if (state->error == NULL || PyModule_AddObjectRef(module, "error", state->error) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
