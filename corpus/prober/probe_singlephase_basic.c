/* Single-phase init, the oldest way to write a module: PyModule_Create with m_size = -1.
 *
 * CPython refuses it in an isolated (own-GIL) subinterpreter, whose
 * check_multi_interp_extensions is on, and loads it in a legacy subinterpreter that shares
 * the main GIL (it copies the module's dict there): shared-gil-only on a GIL build. A
 * free-threaded build turns check_multi_interp_extensions on in every subinterpreter, the
 * legacy ones included, so there nothing but the main interpreter takes it
 * (cpython-facts.md #4): unsupported. Without PyUnstable_Module_SetGIL it re-enables the
 * GIL on import (#10).
 *
 * subcheck-expect-probe: interp=gil subinterpreters=shared-gil-only free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded subinterpreters=unsupported free_threading=requires-gil
 *
 * The static analyzer cannot tell a legacy subinterpreter's copy from real support and
 * calls every single-phase module unsupported.
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
