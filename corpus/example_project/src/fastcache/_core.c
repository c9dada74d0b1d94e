/* The isolated way: multi-phase init, state in the module, a heap type, and both
 * slots declared. subcheck reports nothing here. */
/* subcheck-expect-module: name=_core init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    PyObject *error;
} core_state;

static core_state *
get_state(PyObject *module)
{
    return (core_state *)PyModule_GetState(module);
}

static PyObject *
lookup(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "lookup() takes two arguments");
        return NULL;
    }
    PyObject *value;
    int found = PyDict_GetItemRef(args[0], args[1], &value);
    if (found == 0) {
        PyErr_SetObject(get_state(module)->error, args[1]);
    }
    return found > 0 ? value : NULL;
}

static int
core_exec(PyObject *module)
{
    core_state *state = get_state(module);
    state->error = PyErr_NewException("fastcache._core.Error", NULL, NULL);
    if (state->error == NULL) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "Error", state->error);
}

static int
core_traverse(PyObject *module, visitproc visit, void *arg)
{
    Py_VISIT(get_state(module)->error);
    return 0;
}

static int
core_clear(PyObject *module)
{
    Py_CLEAR(get_state(module)->error);
    return 0;
}

static PyMethodDef core_methods[] = {
    {"lookup", _PyCFunction_CAST(lookup), METH_FASTCALL, "Look a key up."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, core_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "fastcache._core",
    .m_size = sizeof(core_state),
    .m_methods = core_methods,
    .m_slots = core_slots,
    .m_traverse = core_traverse,
    .m_clear = core_clear,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    return PyModuleDef_Init(&core_module);
}
