/* One static type in a header that two modules include (each gets its own copy of it,
 * both defined on the line below). For `claims`, which declares a per-interpreter GIL,
 * the type contradicts the claim: SI004, which supersedes SI005 there. For `plain`, which
 * claims nothing, the same line is still an SI005: superseding drops a finding only for
 * the modules the superseding finding speaks for.
 */
#include <Python.h>

static PyTypeObject Shared_Type = {  // expect: SI004 SI005
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "shared.Thing",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

static int
add_shared_type(PyObject *module)
{
    if (PyType_Ready(&Shared_Type) < 0) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "Thing", (PyObject *)&Shared_Type);
}
