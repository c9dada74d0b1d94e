/* Multi-phase init with neither Py_mod_multiple_interpreters nor Py_mod_gil (after
 * CPython's _testmultiphase "_test_no_multiple_interpreter_slot", rewritten). Multi-phase
 * is not the same as safe: the missing slot defaults to
 * Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED, i.e. shared-GIL only, and the missing Py_mod_gil
 * slot re-enables the GIL on free-threaded builds (docs/cpython-behaviour.md #1, #10).
 *
 * TP: SI002 (at the PyModuleDef), FT001 (at the slots array).
 * TN: SI001 (multi-phase), SI003 (no slot to complain about).
 *
 * subcheck-expect-module: name=no_slot init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 */
#include <Python.h>

typedef struct {
    PyObject *greeting;
} no_slot_state;

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
    .m_slots = no_slot_slots,
    .m_clear = no_slot_clear,
};

PyMODINIT_FUNC
PyInit_no_slot(void)
{
    return PyModuleDef_Init(&no_slot_def);
}
