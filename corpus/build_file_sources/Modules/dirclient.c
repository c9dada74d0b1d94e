/* subcheck-allow-diagnostics: the directory library's header (dirlib.h) is missing
 * subcheck-expect-module: name=_dirclient init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsafe free_threading=unsafe
 *
 * compile exemption: see common.h.
 */
#include "results.h"

static PyObject *
dirclient_search(PyObject *module, PyObject *arg)
{
    long count = PyLong_AsLong(arg);
    if (count == -1 && PyErr_Occurred()) {
        return NULL;
    }
    return results_to_python(NULL, (int)count);
}

static PyMethodDef dirclient_methods[] = {
    {"search", dirclient_search, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot dirclient_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef dirclient_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_dirclient",
    .m_methods = dirclient_methods,
    .m_slots = dirclient_slots,
};

PyMODINIT_FUNC
PyInit__dirclient(void)
{
    return PyModuleDef_Init(&dirclient_module);
}
