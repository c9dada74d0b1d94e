/* A module that vendors pythoncapi-compat: the shim's static inline functions (which
 * compare reference counts, among other things) are not the project's code and are not
 * reported; the module's own code is.
 *
 * TN: FT006 inside pythoncapi_compat.h.
 *
 * subcheck-expect-module: name=vendored_compat init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

#include "pythoncapi_compat.h"

static PyObject *
vendored_is_unique(PyObject *module, PyObject *obj)
{
    return PyBool_FromLong(compat_is_unique(obj));
}

static PyMethodDef vendored_methods[] = {
    {"is_unique", vendored_is_unique, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot vendored_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef vendored_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "vendored_compat",
    .m_size = 0,
    .m_methods = vendored_methods,
    .m_slots = vendored_slots,
};

PyMODINIT_FUNC
PyInit_vendored_compat(void)
{
    return PyModuleDef_Init(&vendored_def);
}
