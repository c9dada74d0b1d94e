/* PyDict_Next in a helper whose callers hold the lock (FT004), as CPython's select.poll
 * does, in its own words: Argument Clinic's wrapper takes Py_BEGIN_CRITICAL_SECTION(self)
 * (`@critical_section`) and calls `..._impl`, which calls the helper that iterates the
 * object's own dict. Every way into the helper holds the lock, so the iteration is under
 * it, as if the section were written around the loop.
 *
 * TP: FT004 in a helper also called by a method that takes no lock, and in a function
 * called under the lock that is also in the method table (Python calls it unlocked).
 * TN: FT004 in the helper reached only through the locked wrapper and its _impl.
 *
 * subcheck-expect-module: name=dict_next_under_callers_lock init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

typedef struct {
    PyObject *fds;  /* fd -> event mask */
} poll_state;

static long
count_ready(PyObject *fds)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    long ready = 0;
    while (PyDict_Next(fds, &pos, &key, &value)) {  // expect-not: FT004
        ready += PyLong_AsLong(value) != 0;
    }
    return ready;
}

static PyObject *
poll_wait_impl(PyObject *module)
{
    poll_state *state = (poll_state *)PyModule_GetState(module);
    return PyLong_FromLong(count_ready(state->fds));
}

static PyObject *
poll_wait(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    PyObject *result;
    Py_BEGIN_CRITICAL_SECTION(module);
    result = poll_wait_impl(module);
    Py_END_CRITICAL_SECTION();
    return result;
}

static long
sum_masks(PyObject *fds)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    long total = 0;
    while (PyDict_Next(fds, &pos, &key, &value)) {  // expect: FT004 "sum_masks"
        total += PyLong_AsLong(value);
    }
    return total;
}

static PyObject *
poll_masks_locked(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    poll_state *state = (poll_state *)PyModule_GetState(module);
    long total;
    Py_BEGIN_CRITICAL_SECTION(module);
    total = sum_masks(state->fds);
    Py_END_CRITICAL_SECTION();
    return PyLong_FromLong(total);
}

static PyObject *
poll_masks(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    poll_state *state = (poll_state *)PyModule_GetState(module);
    return PyLong_FromLong(sum_masks(state->fds));
}

static PyObject *
poll_first_fd(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    poll_state *state = (poll_state *)PyModule_GetState(module);
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    if (!PyDict_Next(state->fds, &pos, &key, &value)) {  // expect: FT004 "poll_first_fd" "reads state->fds outside"
        Py_RETURN_NONE;
    }
    return Py_NewRef(key);
}

static PyObject *
poll_first_locked(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    PyObject *result;
    Py_BEGIN_CRITICAL_SECTION(module);
    result = poll_first_fd(module, NULL);
    Py_END_CRITICAL_SECTION();
    return result;
}

static PyMethodDef poll_methods[] = {
    {"wait", poll_wait, METH_NOARGS, NULL},
    {"masks_locked", poll_masks_locked, METH_NOARGS, NULL},
    {"masks", poll_masks, METH_NOARGS, NULL},
    {"first_fd", poll_first_fd, METH_NOARGS, NULL},
    {"first_locked", poll_first_locked, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static int
poll_exec(PyObject *module)
{
    poll_state *state = (poll_state *)PyModule_GetState(module);
    state->fds = PyDict_New();
    return state->fds == NULL ? -1 : 0;
}

static int
poll_traverse(PyObject *module, visitproc visit, void *arg)
{
    poll_state *state = (poll_state *)PyModule_GetState(module);
    Py_VISIT(state->fds);
    return 0;
}

static int
poll_clear(PyObject *module)
{
    poll_state *state = (poll_state *)PyModule_GetState(module);
    Py_CLEAR(state->fds);
    return 0;
}

static PyModuleDef_Slot poll_slots[] = {
    {Py_mod_exec, poll_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef poll_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "dict_next_under_callers_lock",
    .m_size = sizeof(poll_state),
    .m_methods = poll_methods,
    .m_slots = poll_slots,
    .m_traverse = poll_traverse,
    .m_clear = poll_clear,
};

PyMODINIT_FUNC
PyInit_dict_next_under_callers_lock(void)
{
    return PyModuleDef_Init(&poll_def);
}
