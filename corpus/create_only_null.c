/* Multi-phase modules whose Py_mod_create function can only fail (CPython's
 * _testmultiphase has such fixtures: createfunc_null returns NULL, createfunc_raise sets
 * SystemError and returns NULL, createfunc_unreported_exception returns a module with an
 * exception set). PyModule_FromDefAndSpec2 raises SystemError in every
 * interpreter, no module object ever exists, and on a free-threaded build the failed
 * import switches the transient GIL off again (docs/cpython-behaviour.md #27). FT001 and
 * SI002 would be false; the verdict for subinterpreters is unsupported (nothing loads it).
 *
 * TP: FT001 and SI002 for the module beside them whose create function returns NULL only
 * when it fails, and a module otherwise.
 * TN: FT001 and SI002 for the module whose create function is `return NULL;`, for the
 * one whose create function raises on every path and returns NULL (0 on one of them), and
 * for the one whose create function returns a module with an exception set.
 * TP: FT001 and SI002 for a create function that sets an exception and clears it again.
 *
 * subcheck-expect-module: name=create_unreported init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 * subcheck-expect-module: name=create_cleared init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 *
 * subcheck-expect-module: name=create_null init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 * subcheck-expect-module: name=create_raise init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 * subcheck-expect-module: name=create_checked init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 */
#include <Python.h>

static PyObject *
null_create(PyObject *spec, PyModuleDef *def)
{
    return NULL;
}

static PyModuleDef_Slot null_slots[] = {  // expect-not: FT001
    {Py_mod_create, null_create},
    {0, NULL},
};

static PyModuleDef null_def = {  // expect-not: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "create_null",
    .m_slots = null_slots,
};

PyMODINIT_FUNC
PyInit_create_null(void)
{
    return PyModuleDef_Init(&null_def);
}

/* Raises on every path; both returns give a null pointer. */
static PyObject *
raise_create(PyObject *spec, PyModuleDef *def)
{
    if (def->m_size != 0) {
        PyErr_SetString(PyExc_SystemError, "unexpected state size");
        return 0;
    }
    PyErr_SetString(PyExc_SystemError, "this module cannot be created");
    return (PyObject *)NULL;
}

static int
raise_exec(PyObject *module)
{
    return PyModule_AddIntConstant(module, "never", 1);
}

static PyModuleDef_Slot raise_slots[] = {  // expect-not: FT001
    {Py_mod_create, raise_create},
    {Py_mod_exec, raise_exec},
    {0, NULL},
};

static PyModuleDef raise_def = {  // expect-not: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "create_raise",
    .m_slots = raise_slots,
};

PyMODINIT_FUNC
PyInit_create_raise(void)
{
    return PyModuleDef_Init(&raise_def);
}

/* Returns a module, but with an exception set on every path (CPython's
 * createfunc_unreported_exception): "creation of module ... raised unreported exception". */
static PyObject *
unreported_create(PyObject *spec, PyModuleDef *def)
{
    PyErr_SetString(PyExc_SystemError, "this module cannot be created");
    return PyModule_New("unreported");
}

static PyModuleDef_Slot unreported_slots[] = {  // expect-not: FT001
    {Py_mod_create, unreported_create},
    {0, NULL},
};

static PyModuleDef unreported_def = {  // expect-not: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "create_unreported",
    .m_slots = unreported_slots,
};

PyMODINIT_FUNC
PyInit_create_unreported(void)
{
    return PyModuleDef_Init(&unreported_def);
}

/* Raises only when the spec has no name, then clears it: a module, which re-enables the
 * GIL and gets the shared-GIL-only default. */
static PyObject *
cleared_create(PyObject *spec, PyModuleDef *def)
{
    PyErr_SetString(PyExc_RuntimeError, "no name yet");
    PyObject *name = PyObject_GetAttrString(spec, "name");
    PyErr_Clear();
    return name == NULL ? PyModule_New("cleared") : PyModule_NewObject(name);
}

static PyModuleDef_Slot cleared_slots[] = {  // expect: FT001 "'create_cleared'"
    {Py_mod_create, cleared_create},
    {0, NULL},
};

static PyModuleDef cleared_def = {  // expect: SI002 "'create_cleared'"
    PyModuleDef_HEAD_INIT,
    .m_name = "create_cleared",
    .m_slots = cleared_slots,
};

PyMODINIT_FUNC
PyInit_create_cleared(void)
{
    return PyModuleDef_Init(&cleared_def);
}

/* NULL only when the spec has no name: otherwise a module, which re-enables the GIL and
 * gets the shared-GIL-only default. */
static PyObject *
checked_create(PyObject *spec, PyModuleDef *def)
{
    PyObject *name = PyObject_GetAttrString(spec, "name");
    if (name == NULL) {
        return NULL;
    }
    PyObject *module = PyModule_NewObject(name);
    Py_DECREF(name);
    return module;
}

static PyModuleDef_Slot checked_slots[] = {  // expect: FT001 "'create_checked'"
    {Py_mod_create, checked_create},
    {0, NULL},
};

static PyModuleDef checked_def = {  // expect: SI002 "'create_checked'"
    PyModuleDef_HEAD_INIT,
    .m_name = "create_checked",
    .m_slots = checked_slots,
};

PyMODINIT_FUNC
PyInit_create_checked(void)
{
    return PyModuleDef_Init(&checked_def);
}
