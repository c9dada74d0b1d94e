/* Slots CPython refuses (CPython's _testmultiphase has such fixtures: an id past the last
 * module slot, a negative id, two create slots). No CPython creates these modules: every
 * import fails with SystemError before a slot runs (docs/cpython-behaviour.md #26), so the module never
 * re-enables the GIL and never reaches a subinterpreter's check. FT001 and SI002 would be
 * false; the verdict for subinterpreters is unsupported (nothing loads the module).
 *
 * TP: FT001 and SI002 for the module beside them whose slot ids are valid but that
 * declares neither Py_mod_gil nor Py_mod_multiple_interpreters.
 * TN: FT001 and SI002 for the three refused modules (a negative id, a type slot's id, two
 * create slots).
 *
 * subcheck-expect-module: name=refused_negative init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 * subcheck-expect-module: name=refused_type_slot init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 * subcheck-expect-module: name=refused_two_creates init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 * subcheck-expect-module: name=accepted_no_gil init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 */
#include <Python.h>

static int
refused_exec(PyObject *module)
{
    return PyModule_AddIntConstant(module, "answer", 42);
}

/* A negative id: "unknown slot ID -1" up to 3.14, "invalid slot" in 3.15. */
static PyModuleDef_Slot negative_slots[] = {  // expect-not: FT001
    {-1, NULL},
    {Py_mod_exec, refused_exec},
    {0, NULL},
};

static PyModuleDef negative_def = {  // expect-not: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "refused_negative",
    .m_slots = negative_slots,
};

PyMODINIT_FUNC
PyInit_refused_negative(void)
{
    return PyModuleDef_Init(&negative_def);
}

/* 5 is past the last module slot up to 3.14 (4) and a type slot in 3.15's numbering. */
static PyModuleDef_Slot type_slot_slots[] = {  // expect-not: FT001
    {Py_mod_exec, refused_exec},
    {5, NULL},
    {0, NULL},
};

static PyModuleDef type_slot_def = {  // expect-not: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "refused_type_slot",
    .m_slots = type_slot_slots,
};

PyMODINIT_FUNC
PyInit_refused_type_slot(void)
{
    return PyModuleDef_Init(&type_slot_def);
}

static PyObject *
refused_create(PyObject *spec, PyModuleDef *def)
{
    return PyModule_New("refused_two_creates");
}

/* Two create slots: "multiple create slots". Two exec slots would be fine. */
static PyModuleDef_Slot two_create_slots[] = {  // expect-not: FT001
    {Py_mod_create, refused_create},
    {Py_mod_create, refused_create},
    {0, NULL},
};

static PyModuleDef two_create_def = {  // expect-not: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "refused_two_creates",
    .m_slots = two_create_slots,
};

PyMODINIT_FUNC
PyInit_refused_two_creates(void)
{
    return PyModuleDef_Init(&two_create_def);
}

/* Only known slot ids, each once (two exec slots are allowed): CPython creates it, and it
 * re-enables the GIL. */
static PyModuleDef_Slot accepted_slots[] = {  // expect: FT001 "'accepted_no_gil'"
    {Py_mod_exec, refused_exec},
    {Py_mod_exec, refused_exec},
    {0, NULL},
};

static PyModuleDef accepted_def = {  // expect: SI002 "'accepted_no_gil'"
    PyModuleDef_HEAD_INIT,
    .m_name = "accepted_no_gil",
    .m_slots = accepted_slots,
};

PyMODINIT_FUNC
PyInit_accepted_no_gil(void)
{
    return PyModuleDef_Init(&accepted_def);
}
