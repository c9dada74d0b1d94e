/* A stable-ABI (abi3) module that also claims Py_MOD_GIL_NOT_USED. CPython 3.13t and
 * 3.14t have no stable ABI for the free-threaded build: Python.h stops with
 * "#error The limited API is not currently supported in the free-threaded build" when
 * both are defined, and an abi3 wheel cannot be loaded by a free-threaded interpreter.
 * The claim cannot be honoured.
 *
 * COMPILE EXEMPTION: for that reason this file does not compile with -DPy_GIL_DISABLED=1
 * (it does in the default build). That #error is the defect this case is about, so the
 * parse diagnostic it causes in the free-threaded configuration is expected.
 *
 * Verdict choice: a module whose free-threading claim is contradicted is "unsafe".
 * The free-threaded parse stops in Python's own headers, so subcheck does not trust what
 * it read there: the module's `gil` in that configuration is "unknown" (the slot is seen
 * in the default build, which is what FT007 reports against).
 *
 * TP: FT007 (at PyInit). TN: FT001 (the slot is there).
 *
 * subcheck-allow-diagnostics: the limited API #errors in the free-threaded build
 * subcheck-expect-module: name=limited_gil_free init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=unknown subinterpreters=supported free_threading=unsafe
 */
#define Py_LIMITED_API 0x030d0000
#include <Python.h>

static PyObject *
limited_gil_free_double(PyObject *module, PyObject *arg)
{
    long value = PyLong_AsLong(arg);
    if (value == -1 && PyErr_Occurred()) {
        return NULL;
    }
    return PyLong_FromLong(2 * value);
}

static PyMethodDef limited_gil_free_methods[] = {
    {"double", limited_gil_free_double, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot limited_gil_free_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef limited_gil_free_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "limited_gil_free",
    .m_size = 0,
    .m_methods = limited_gil_free_methods,
    .m_slots = limited_gil_free_slots,
};

PyMODINIT_FUNC
PyInit_limited_gil_free(void)  // expect: FT007 "Py_TARGET_ABI3T 0x030f0000"
{
    return PyModuleDef_Init(&limited_gil_free_def);
}
