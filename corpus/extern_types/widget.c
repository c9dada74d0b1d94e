/* A second static type of extern_types/module.c, named only in the module's type table
 * (`{"Widget", &Widget_Type}`), as psycopg2 readies most of its types: no function of
 * this file is called from module.c, and no function there names the type. Its methods
 * live in the table below, read only through the type's tp_methods. */
#include <Python.h>

static PyObject *
widget_spin(PyObject *self, PyObject *unused)
{
    Py_RETURN_NONE;
}

static PyMethodDef widget_methods[] = {
    {"spin", widget_spin, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyTypeObject Widget_Type = {  // expect: SI004  // expect-not: SI005
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "extern_types.Widget",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_methods = widget_methods,
    .tp_new = PyType_GenericNew,
};
