/* Older extensions hide module creation behind their own macros, often to build on
 * Python 2 and 3 from one source: `MODULE_CREATE(m, def)` here. The call to
 * PyModule_Create2 is spelled inside Python's own PyModule_Create macro, expanded from
 * the project's macro: subcheck must still see a single-phase module.
 *
 * TP: SI001 (at the macro use that creates the module), FT001 (no PyUnstable_Module_SetGIL).
 *
 * subcheck-expect-module: name=macro_wrapped init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

#define MODULE_CREATE(m, def) m = PyModule_Create(def)
#define MODULE_INIT_FUNC(name) PyMODINIT_FUNC PyInit_##name(void)

static PyObject *
wrapped_answer(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(42);
}

static PyMethodDef wrapped_methods[] = {
    {"answer", wrapped_answer, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef wrapped_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "macro_wrapped",
    .m_size = 0,
    .m_methods = wrapped_methods,
};

MODULE_INIT_FUNC(macro_wrapped)  // expect: FT001
{
    PyObject *module;
    MODULE_CREATE(module, &wrapped_def);  // expect: SI001
    return module;
}
