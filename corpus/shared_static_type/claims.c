/* subcheck-expect-module: name=claims init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsafe free_threading=gil-free
 */
#include <Python.h>

#include "shared_type.h"

static PyModuleDef_Slot claims_slots[] = {
    {Py_mod_exec, add_shared_type},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef claims_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "claims",
    .m_slots = claims_slots,
};

PyMODINIT_FUNC
PyInit_claims(void)
{
    return PyModuleDef_Init(&claims_def);
}
