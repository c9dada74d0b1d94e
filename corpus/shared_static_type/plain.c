/* subcheck-expect-module: name=plain init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=shared-gil-only free_threading=gil-free
 */
#include <Python.h>

#include "shared_type.h"

static PyModuleDef_Slot plain_slots[] = {
    {Py_mod_exec, add_shared_type},
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED},  // expect: SI003
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef plain_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "plain",
    .m_slots = plain_slots,
};

PyMODINIT_FUNC
PyInit_plain(void)
{
    return PyModuleDef_Init(&plain_def);
}
