/* Multi-phase init with neither Py_mod_multiple_interpreters nor Py_mod_gil (after
 * CPython's _testmultiphase "_test_no_multiple_interpreter_slot", rewritten). Multi-phase
 * is not the same as safe: the missing slot defaults to
 * Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED, i.e. shared-GIL only, and the missing Py_mod_gil
 * slot re-enables the GIL on free-threaded builds (docs/cpython-behaviour.md #1, #10).
 *
 * A method still looks the module up with PyState_FindModule, as a half-done port does: a
 * module defined with slots is never in that registry, so the call returns NULL.
 *
 * TP: SI002 (at the PyModuleDef), FT001 (at the slots array), SI007 at the lookup, advising
 * what a multi-phase module uses (the module from self), not "multi-phase init".
 * TN: SI001 (multi-phase), SI003 (no slot to complain about).
 *
 * subcheck-expect-module: name=no_slot init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 */
#include <Python.h>

typedef struct {
    PyObject *greeting;
} no_slot_state;

static PyModuleDef no_slot_def;

static PyObject *
no_slot_greeting(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *module = PyState_FindModule(&no_slot_def);  // expect: SI007 "module from self" "never in the registry"  // expect-not: SI004
    if (module == NULL) {
        return NULL;
    }
    no_slot_state *state = PyModule_GetState(module);
    return Py_NewRef(state->greeting);
}

static PyMethodDef no_slot_methods[] = {
    {"greeting", no_slot_greeting, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static int
no_slot_exec(PyObject *module)
{
    no_slot_state *state = PyModule_GetState(module);
    state->greeting = PyUnicode_FromString("hello");
    if (state->greeting == NULL) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "greeting", state->greeting);
}

static int
no_slot_clear(PyObject *module)
{
    no_slot_state *state = PyModule_GetState(module);
    Py_CLEAR(state->greeting);
    return 0;
}

static PyModuleDef_Slot no_slot_slots[] = {  // expect: FT001
    {Py_mod_exec, no_slot_exec},
    {0, NULL},
};

static PyModuleDef no_slot_def = {  // expect: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "no_slot",
    .m_size = sizeof(no_slot_state),
    .m_methods = no_slot_methods,
    .m_slots = no_slot_slots,
    .m_clear = no_slot_clear,
};

PyMODINIT_FUNC
PyInit_no_slot(void)
{
    return PyModuleDef_Init(&no_slot_def);
}
