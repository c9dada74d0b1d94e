/* A fully isolated module (after CPython's _testmultiphase main module and the
 * "isolating extensions" HOWTO, rewritten): multi-phase init, heap type created with
 * PyType_FromModuleAndSpec and kept in module state, state reached from methods through
 * PyType_GetModuleByDef, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED and Py_MOD_GIL_NOT_USED.
 *
 * Expected to be silent. The tables below are the usual false-positive traps for a
 * "global state" check: PyMethodDef, PyModuleDef, PyModuleDef_Slot, PyType_Spec,
 * PyType_Slot, PyMemberDef, PyGetSetDef, a function-static `char *kwlist[]`, an
 * Argument-Clinic style _PyArg_Parser and const data.
 *
 * TN: SI002-SI007, SI010, FT001-FT007.
 *
 * subcheck-expect-module: name=isolated init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>
#include <stddef.h>

typedef struct {
    PyTypeObject *counter_type;
    PyObject *error;
} isolated_state;

typedef struct {
    PyObject_HEAD
    long value;
    PyObject *label;
} CounterObject;

static PyModuleDef isolated_def;

static const char isolated_doc[] = "A module with no process-global state.";
static const long counter_limit = 1L << 20;

static isolated_state *
state_of_type(PyTypeObject *type)
{
    PyObject *module = PyType_GetModuleByDef(type, &isolated_def);  // expect-not: SI007
    return module == NULL ? NULL : (isolated_state *)PyModule_GetState(module);
}

static PyObject *
counter_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"label", NULL};  // expect-not: SI006 SI010
    PyObject *label = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:Counter", kwlist, &label)) {
        return NULL;
    }
    CounterObject *self = (CounterObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->value = 0;
    self->label = Py_NewRef(label);
    return (PyObject *)self;
}

static int
counter_traverse(PyObject *op, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(((CounterObject *)op)->label);
    return 0;
}

static void
counter_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    Py_CLEAR(((CounterObject *)op)->label);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyObject *
counter_increment(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    CounterObject *self = (CounterObject *)op;
    long value;
    Py_BEGIN_CRITICAL_SECTION(op);
    value = ++self->value;
    Py_END_CRITICAL_SECTION();
    if (value > counter_limit) {
        isolated_state *state = state_of_type(Py_TYPE(op));
        if (state != NULL) {
            PyErr_SetString(state->error, "counter overflow");
        }
        return NULL;
    }
    return PyLong_FromLong(value);
}

static PyObject *
counter_get_value(PyObject *op, void *Py_UNUSED(closure))
{
    return PyLong_FromLong(((CounterObject *)op)->value);
}

static PyMethodDef counter_methods[] = {
    {"increment", counter_increment, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef counter_members[] = {
    {"label", Py_T_OBJECT_EX, offsetof(CounterObject, label), Py_READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef counter_getset[] = {
    {"value", counter_get_value, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot counter_type_slots[] = {
    {Py_tp_new, counter_new},
    {Py_tp_dealloc, counter_dealloc},
    {Py_tp_traverse, counter_traverse},
    {Py_tp_methods, counter_methods},
    {Py_tp_members, counter_members},
    {Py_tp_getset, counter_getset},
    {0, NULL},
};

static PyType_Spec counter_spec = {  // expect-not: SI005 SI006 SI010
    .name = "isolated.Counter",
    .basicsize = sizeof(CounterObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = counter_type_slots,
};

/* Argument Clinic emits one of these per function; CPython fills it in lazily and
 * owns its synchronisation, so it is not the module's global state. */
static const char * const scale_keywords[] = {"value", "factor", NULL};
static _PyArg_Parser scale_parser = {
    .format = "ll:scale",
    .keywords = scale_keywords,
};

static PyObject *
isolated_scale(PyObject *module, PyObject *args, PyObject *kwargs)
{
    long value, factor;
    if (!_PyArg_ParseTupleAndKeywordsFast(args, kwargs, &scale_parser, &value, &factor)) {
        return NULL;
    }
    return PyLong_FromLong(value * factor);
}

static PyMethodDef isolated_methods[] = {
    {"scale", (PyCFunction)(void (*)(void))isolated_scale, METH_VARARGS | METH_KEYWORDS, NULL},
    {NULL, NULL, 0, NULL},
};

static int
isolated_exec(PyObject *module)
{
    isolated_state *state = PyModule_GetState(module);
    state->counter_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &counter_spec, NULL);
    if (state->counter_type == NULL || PyModule_AddType(module, state->counter_type) < 0) {
        return -1;
    }
    state->error = PyErr_NewException("isolated.error", NULL, NULL);
    if (state->error == NULL) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "error", state->error);
}

static int
isolated_traverse(PyObject *module, visitproc visit, void *arg)
{
    isolated_state *state = PyModule_GetState(module);
    Py_VISIT(state->counter_type);
    Py_VISIT(state->error);
    return 0;
}

static int
isolated_clear(PyObject *module)
{
    isolated_state *state = PyModule_GetState(module);
    Py_CLEAR(state->counter_type);
    Py_CLEAR(state->error);
    return 0;
}

static void
isolated_free(void *module)
{
    (void)isolated_clear((PyObject *)module);
}

static PyModuleDef_Slot isolated_slots[] = {
    {Py_mod_exec, isolated_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},  // expect-not: SI003
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef isolated_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "isolated",
    .m_doc = isolated_doc,
    .m_size = sizeof(isolated_state),
    .m_methods = isolated_methods,
    .m_slots = isolated_slots,
    .m_traverse = isolated_traverse,
    .m_clear = isolated_clear,
    .m_free = isolated_free,
};

PyMODINIT_FUNC
PyInit_isolated(void)  // expect-not: SI009
{
    return PyModuleDef_Init(&isolated_def);  // expect-not: SI001
}
