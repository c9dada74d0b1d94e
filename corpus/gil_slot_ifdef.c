/* A Py_mod_gil slot that only exists in the free-threaded build: the common way to
 * support both builds from one source (docs/cpython-behaviour.md #12). In the gil configuration
 * the slot is not there and nothing asks for it; in the free-threaded configuration it
 * is, so there is no FT001.
 *
 * TN: FT001, SI002. The `gil` seen in the free-threaded configuration is the slot's value.
 *
 * subcheck-expect-module: name=gil_ifdef init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

static PyObject *
gil_ifdef_hypot(PyObject *module, PyObject *args)
{
    double x, y;
    if (!PyArg_ParseTuple(args, "dd", &x, &y)) {
        return NULL;
    }
    return PyFloat_FromDouble(x * x + y * y);
}

static PyMethodDef gil_ifdef_methods[] = {
    {"hypot2", gil_ifdef_hypot, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot gil_ifdef_slots[] = {  // expect-not: FT001
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef gil_ifdef_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "gil_ifdef",
    .m_size = 0,
    .m_methods = gil_ifdef_methods,
    .m_slots = gil_ifdef_slots,
};

PyMODINIT_FUNC
PyInit_gil_ifdef(void)
{
    return PyModuleDef_Init(&gil_ifdef_def);
}
