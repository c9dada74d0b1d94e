/* The same "already loaded" flag in two modules that never run exec a second time in
 * another interpreter, so the flag contradicts nothing they declare:
 * - `not_supported`: multi-phase, declares Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED, so
 *   every interpreter but the main one refuses it cleanly;
 * - `single_guard`: single-phase (SI001's territory).
 *
 * TP: SI010 at the multi-phase module's flag (exec runs in every interpreter that loads
 *     it); SI003 at the not-supported declaration; SI001 and FT001 for the single-phase
 *     module.
 * TN: SI012 at both flags; SI010 at the single-phase module's flag: with m_size = -1 its
 *     PyInit runs once per process (docs/cpython-behaviour.md #28), so the flag is written
 *     once and never found set.
 *
 * subcheck-expect-module: name=not_supported init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED gil=Py_MOD_GIL_USED subinterpreters=unsupported free_threading=requires-gil
 * subcheck-expect-module: name=single_guard init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

static int not_supported_loaded;  // expect: SI010  // expect-not: SI012
static int single_loaded;         // expect-not: SI010 SI012

static int
not_supported_exec(PyObject *module)
{
    if (not_supported_loaded) {
        return 0;
    }
    not_supported_loaded = 1;
    return PyModule_AddIntConstant(module, "READY", 1);
}

static PyModuleDef_Slot not_supported_slots[] = {
    {Py_mod_exec, not_supported_exec},
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},  // expect: SI003
    {Py_mod_gil, Py_MOD_GIL_USED},
    {0, NULL},
};

static struct PyModuleDef not_supported_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "not_supported",
    .m_size = 0,
    .m_slots = not_supported_slots,
};

PyMODINIT_FUNC
PyInit_not_supported(void)
{
    return PyModuleDef_Init(&not_supported_def);
}

static struct PyModuleDef single_guard_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "single_guard",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit_single_guard(void)  // expect: FT001
{
    if (single_loaded) {
        PyErr_SetString(PyExc_ImportError, "already loaded");
        return NULL;
    }
    single_loaded = 1;
    return PyModule_Create(&single_guard_def);  // expect: SI001
}
