/* A clean multi-phase module with a C test program beside it (tests/driver.c), as a
 * library's bundled tests are: the program defines main(), no interpreter imports it, and
 * its own globals are nobody's module state.
 *
 * subcheck-expect-module: name=fastsum init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

static PyObject *
fastsum_add(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "add() takes two arguments");
        return NULL;
    }
    return PyNumber_Add(args[0], args[1]);
}

static PyMethodDef fastsum_methods[] = {
    {"add", (PyCFunction)(void (*)(void))fastsum_add, METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot fastsum_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef fastsum_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "fastsum",
    .m_size = 0,
    .m_methods = fastsum_methods,
    .m_slots = fastsum_slots,
};

PyMODINIT_FUNC
PyInit_fastsum(void)
{
    return PyModuleDef_Init(&fastsum_def);
}
