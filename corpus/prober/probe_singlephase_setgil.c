/* Single-phase init that tells a free-threaded build it needs no GIL:
 * PyUnstable_Module_SetGIL(m, Py_MOD_GIL_NOT_USED), which exists only there, so the call
 * sits under #ifdef Py_GIL_DISABLED. The GIL stays off after the import; the module is
 * still single-phase, so subinterpreters treat it as they treat probe_singlephase_basic.
 *
 * subcheck-expect-probe: interp=any subinterpreters=unsupported
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=gil-free
 *
 * subcheck-expect-module: name=probe_singlephase_setgil init=single-phase multiple_interpreters=absent gil=Py_MOD_GIL_NOT_USED subinterpreters=unsupported free_threading=gil-free
 */
#include <Python.h>

static PyObject *
setgil_negate(PyObject *Py_UNUSED(module), PyObject *arg)
{
    return PyNumber_Negative(arg);
}

static PyMethodDef setgil_methods[] = {
    {"negate", setgil_negate, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef setgil_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_singlephase_setgil",
    .m_size = -1,
    .m_methods = setgil_methods,
};

PyMODINIT_FUNC
PyInit_probe_singlephase_setgil(void)
{
    PyObject *module = PyModule_Create(&setgil_def);  // expect: SI001
    if (module == NULL) {
        return NULL;
    }
#ifdef Py_GIL_DISABLED
    if (PyUnstable_Module_SetGIL(module, Py_MOD_GIL_NOT_USED) < 0) {
        Py_DECREF(module);
        return NULL;
    }
#endif
    return module;
}
