/* Isolated and free-threading ready: Py_MOD_PER_INTERPRETER_GIL_SUPPORTED and
 * Py_mod_gil = Py_MOD_GIL_NOT_USED. The slot exists from 3.13 on, so it sits under
 * #ifdef Py_mod_gil, as real modules write it; the module also builds for 3.12. On a
 * free-threaded build the GIL stays off after the import.
 *
 * subcheck-expect-probe: interp=any subinterpreters=supported
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=gil-free declared_init=multi-phase declared_mi=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED declared_gil=Py_MOD_GIL_NOT_USED
 *
 * subcheck-expect-module: name=probe_gil_not_used init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

static PyObject *
gil_not_used_double(PyObject *Py_UNUSED(module), PyObject *arg)
{
    long value = PyLong_AsLong(arg);
    if (value == -1 && PyErr_Occurred()) {
        return NULL;
    }
    return PyLong_FromLong(2 * value);
}

static PyMethodDef gil_not_used_methods[] = {
    {"double", gil_not_used_double, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot gil_not_used_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef gil_not_used_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_gil_not_used",
    .m_size = 0,
    .m_methods = gil_not_used_methods,
    .m_slots = gil_not_used_slots,
};

PyMODINIT_FUNC
PyInit_probe_gil_not_used(void)
{
    return PyModuleDef_Init(&gil_not_used_def);
}
