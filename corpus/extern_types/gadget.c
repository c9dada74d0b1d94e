/* The static type of extern_types/module.c, defined in a file of its own. */
#include <Python.h>

PyTypeObject Gadget_Type = {  // expect: SI004  // expect-not: SI005
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "extern_types.Gadget",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
};
