/* Multi-phase init declaring Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED: "any interpreter, as
 * long as it shares the main GIL". An isolated subinterpreter refuses it with "module
 * probe_multiphase_shared_gil_only does not support loading in subinterpreters"; one
 * sharing the main GIL loads it, even with check_multi_interp_extensions on, so on
 * free-threaded builds too.
 *
 * subcheck-expect-probe: interp=any subinterpreters=shared-gil-only
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=requires-gil
 *
 * subcheck-expect-module: name=probe_multiphase_shared_gil_only init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 */
#include <Python.h>

static PyObject *
shared_gil_only_answer(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(42);
}

static PyMethodDef shared_gil_only_methods[] = {
    {"answer", shared_gil_only_answer, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot shared_gil_only_slots[] = {  // expect: FT001
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED},  // expect: SI003
    {0, NULL},
};

static PyModuleDef shared_gil_only_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_multiphase_shared_gil_only",
    .m_size = 0,
    .m_methods = shared_gil_only_methods,
    .m_slots = shared_gil_only_slots,
};

PyMODINIT_FUNC
PyInit_probe_multiphase_shared_gil_only(void)
{
    return PyModuleDef_Init(&shared_gil_only_def);
}
