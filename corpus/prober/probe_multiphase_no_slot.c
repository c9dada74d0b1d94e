/* Multi-phase init with no Py_mod_multiple_interpreters slot. CPython takes the absence
 * as Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED (docs/cpython-behaviour.md #1): shared-GIL only, not
 * "safe everywhere". No Py_mod_gil slot either, so a free-threaded build re-enables the
 * GIL for it.
 *
 * subcheck-expect-probe: interp=any subinterpreters=shared-gil-only
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=requires-gil
 *
 * subcheck-expect-module: name=probe_multiphase_no_slot init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 */
#include <Python.h>

static int
no_slot_exec(PyObject *module)
{
    return PyModule_AddIntConstant(module, "VERSION", 1);
}

static PyModuleDef_Slot no_slot_slots[] = {  // expect: FT001
    {Py_mod_exec, no_slot_exec},
    {0, NULL},
};

static PyModuleDef no_slot_def = {  // expect: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_multiphase_no_slot",
    .m_size = 0,
    .m_slots = no_slot_slots,
};

PyMODINIT_FUNC
PyInit_probe_multiphase_no_slot(void)
{
    return PyModuleDef_Init(&no_slot_def);
}
