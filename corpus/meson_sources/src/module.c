/* subcheck-allow-diagnostics: the bus library's header (buslib.h) is missing
 * subcheck-expect-module: name=_busclient init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsafe free_threading=unsafe
 *
 * compile exemption: see internal.h.
 */
#include "internal.h"

static int
busclient_exec(PyObject *module)
{
    if (!busclient_init_message_types(module)) {
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot busclient_slots[] = {
    {Py_mod_exec, busclient_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef busclient_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_busclient",
    .m_slots = busclient_slots,
};

PyMODINIT_FUNC
PyInit__busclient(void)
{
    return PyModuleDef_Init(&busclient_module);
}
