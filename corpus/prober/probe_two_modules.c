/* One shared object, two modules (docs/cpython-behaviour.md #15): PyInit_probe_two_modules,
 * multi-phase with a per-interpreter GIL and no GIL needed, and
 * PyInit_probe_two_modules_single, single-phase. The finder only knows the file as
 * probe_two_modules; the prober must still probe probe_two_modules_single under its own
 * name, loaded with a spec for that name and this file, and give each module its own
 * verdicts.
 *
 * subcheck-expect-probe: interp=any subinterpreters=supported
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=gil-free
 * subcheck-expect-probe: module=probe_two_modules_single interp=any subinterpreters=unsupported note=file
 * subcheck-expect-probe: module=probe_two_modules_single interp=gil free_threading=not-tested
 * subcheck-expect-probe: module=probe_two_modules_single interp=free-threaded free_threading=requires-gil
 *
 * subcheck-expect-module: name=probe_two_modules init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 * subcheck-expect-module: name=probe_two_modules_single init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

static PyModuleDef_Slot two_modules_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef two_modules_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_two_modules",
    .m_size = 0,
    .m_slots = two_modules_slots,
};

PyMODINIT_FUNC
PyInit_probe_two_modules(void)
{
    return PyModuleDef_Init(&two_modules_def);
}

static struct PyModuleDef two_modules_single_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_two_modules_single",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit_probe_two_modules_single(void)  // expect: FT001
{
    return PyModule_Create(&two_modules_single_def);  // expect: SI001
}
