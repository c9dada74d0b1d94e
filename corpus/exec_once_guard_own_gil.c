/* An "already initialised" flag in the exec path of a module that declares
 * Py_MOD_PER_INTERPRETER_GIL_SUPPORTED: the declaration is contradicted, so SI004 reports
 * the flag as an error and replaces SI012 (and SI010) at it. The flag is a field of a
 * static struct of C data, set up once.
 *
 * TP: SI004 at `setup` (tested in the exec slot, its `ready` field set to true there).
 * TN: SI012 and SI010 at `setup` (SI004 supersedes both).
 *
 * subcheck-expect-module: name=exec_once_guard_own_gil init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_USED subinterpreters=unsafe free_threading=requires-gil
 */
#include <Python.h>
#include <stdbool.h>

typedef struct {
    bool ready;
    double scale;
} setup_state;

static setup_state setup;  // expect: SI004 "initialise-once guard" "(in own_gil_exec)"  // expect-not: SI012 SI010

static int
own_gil_exec(PyObject *module)
{
    if (setup.ready) {
        return 0;
    }
    if (PyModule_AddIntConstant(module, "LEVEL", 2) < 0) {
        return -1;
    }
    setup.ready = true;
    return 0;
}

static PyModuleDef_Slot own_gil_slots[] = {
    {Py_mod_exec, own_gil_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_USED},
    {0, NULL},
};

static struct PyModuleDef own_gil_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "exec_once_guard_own_gil",
    .m_size = 0,
    .m_slots = own_gil_slots,
};

PyMODINIT_FUNC
PyInit_exec_once_guard_own_gil(void)
{
    return PyModuleDef_Init(&own_gil_def);
}
