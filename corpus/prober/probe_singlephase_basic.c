/* Single-phase init, the oldest way to write a module: PyModule_Create with m_size = -1.
 *
 * Every subinterpreter that checks extensions (check_multi_interp_extensions=1) refuses it
 * with "module probe_singlephase_basic does not support loading in subinterpreters": the
 * isolated one, and the shared-GIL one the prober's `shared` probe makes. Only a legacy
 * subinterpreter with the check off (the GIL build's old default) would take it, copying
 * the module's dict; a free-threaded build never turns the check off (docs/cpython-behaviour.md
 * #4). Without PyUnstable_Module_SetGIL it re-enables the GIL on import (#10).
 *
 * subcheck-expect-probe: interp=any subinterpreters=unsupported
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=requires-gil
 *
 * subcheck-expect-module: name=probe_singlephase_basic init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

static PyObject *
basic_add(PyObject *Py_UNUSED(module), PyObject *args)
{
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) {
        return NULL;
    }
    return PyLong_FromLong(a + b);
}

static PyMethodDef basic_methods[] = {
    {"add", basic_add, METH_VARARGS, "Add two integers."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef basic_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_singlephase_basic",
    .m_size = -1,
    .m_methods = basic_methods,
};

PyMODINIT_FUNC
PyInit_probe_singlephase_basic(void)  // expect: FT001
{
    return PyModule_Create(&basic_def);  // expect: SI001
}
