/* A module isolated the way the "isolating extensions" HOWTO says: multi-phase init, a
 * heap type made per module with PyType_FromModuleAndSpec and kept in module state,
 * Py_MOD_PER_INTERPRETER_GIL_SUPPORTED. It loads in an isolated subinterpreter, and its
 * type is a different object in each interpreter, so the shared-objects probe must not
 * name it. It has no Py_mod_gil slot: a free-threaded build re-enables the GIL for it.
 *
 * subcheck-expect-probe: interp=any subinterpreters=supported unshared_object=Counter declared_init=multi-phase declared_mi=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED declared_gil=absent
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=requires-gil
 *
 * subcheck-expect-module: name=probe_isolated init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=absent subinterpreters=supported free_threading=requires-gil
 */
#include <Python.h>

typedef struct {
    PyTypeObject *counter_type;
} isolated_state;

typedef struct {
    PyObject_HEAD
    long value;
} CounterObject;

static PyObject *
counter_increment(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    CounterObject *self = (CounterObject *)op;
    return PyLong_FromLong(++self->value);
}

static int
counter_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op));
    return 0;
}

static void
counter_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyMethodDef counter_methods[] = {
    {"increment", counter_increment, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot counter_slots[] = {
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, counter_dealloc},
    {Py_tp_traverse, counter_traverse},
    {Py_tp_methods, counter_methods},
    {0, NULL},
};

static PyType_Spec counter_spec = {
    .name = "probe_isolated.Counter",
    .basicsize = sizeof(CounterObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = counter_slots,
};

static int
isolated_exec(PyObject *module)
{
    isolated_state *state = PyModule_GetState(module);
    state->counter_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &counter_spec, NULL);
    if (state->counter_type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, state->counter_type);
}

static int
isolated_traverse(PyObject *module, visitproc visit, void *arg)
{
    isolated_state *state = PyModule_GetState(module);
    Py_VISIT(state->counter_type);
    return 0;
}

static int
isolated_clear(PyObject *module)
{
    isolated_state *state = PyModule_GetState(module);
    Py_CLEAR(state->counter_type);
    return 0;
}

static void
isolated_free(void *module)
{
    (void)isolated_clear((PyObject *)module);
}

static PyModuleDef_Slot isolated_slots[] = {  // expect: FT001
    {Py_mod_exec, isolated_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {0, NULL},
};

static PyModuleDef isolated_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_isolated",
    .m_size = sizeof(isolated_state),
    .m_slots = isolated_slots,
    .m_traverse = isolated_traverse,
    .m_clear = isolated_clear,
    .m_free = isolated_free,
};

PyMODINIT_FUNC
PyInit_probe_isolated(void)
{
    return PyModuleDef_Init(&isolated_def);
}
