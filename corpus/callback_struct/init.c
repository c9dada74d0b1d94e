/* A callback stored in a struct initialiser names a function in another file: the
 * module's own code never calls it, a C library does, and its file is the module's.
 *
 * subcheck-expect-module: name=callback_struct init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=absent subinterpreters=supported free_threading=requires-gil
 */
#include "stream.h"

static const struct stream_callbacks callbacks = {
    .on_data = stream_on_data,
};

static PyObject *
callbacks_address(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromVoidPtr((void *)&callbacks);
}

static PyMethodDef stream_methods[] = {
    {"callbacks", callbacks_address, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot stream_slots[] = {  // expect: FT001
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {0, NULL},
};

static PyModuleDef stream_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "callback_struct",
    .m_size = 0,
    .m_methods = stream_methods,
    .m_slots = stream_slots,
};

PyMODINIT_FUNC
PyInit_callback_struct(void)
{
    return PyModuleDef_Init(&stream_def);
}
