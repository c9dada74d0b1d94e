/* API tables filled in at run time (re-created after `_testcapi`'s make_vectorcall_class,
 * which sets a PyMemberDef offset from its argument before each PyType_FromSpec). A table
 * a method fills is rewritten by every call, in any interpreter and, in a module declaring
 * Py_MOD_GIL_NOT_USED, by threads running in parallel while another builds a type from it.
 * A table the exec function fills is rewritten by every import instead.
 *
 * TP: SI010 at `Sized_members` (a method fills it: "every call") and at `Base_slots` (the
 *     exec function fills it: "every import"); FT002 at the method's write.
 * TN: FT002 at the exec function's write (initialisation runs under the import lock).
 *
 * subcheck-expect-module: name=table_filler init=multi-phase multiple_interpreters=absent gil=Py_MOD_GIL_NOT_USED subinterpreters=shared-gil-only free_threading=unsafe
 */
#include <Python.h>

static PyMemberDef Sized_members[] = {  // expect: SI010 "every call, in any interpreter,"
    {"__offset__", Py_T_PYSSIZET, 0, Py_READONLY},
    {NULL},
};

static PyType_Slot Sized_slots[] = {
    {Py_tp_members, Sized_members},
    {0, NULL},
};

static PyObject *
make_sized_class(PyObject *module, PyObject *arg)
{
    if (!PyType_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "expected a type");
        return NULL;
    }
    PyTypeObject *base = (PyTypeObject *)arg;
    Sized_members[0].offset = base->tp_basicsize;  // expect: FT002 "Sized_members"
    PyType_Spec spec = {
        .name = "table_filler.Sized",
        .basicsize = (int)(base->tp_basicsize + sizeof(Py_ssize_t)),
        .flags = Py_TPFLAGS_DEFAULT,
        .slots = Sized_slots,
    };
    return PyType_FromSpecWithBases(&spec, arg);
}

static PyMethodDef table_filler_methods[] = {
    {"make_sized_class", make_sized_class, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot Base_slots[] = {  // expect: SI010 "every import, in every interpreter,"
    {Py_tp_doc, NULL},
    {0, NULL},
};

static PyType_Spec Base_spec = {
    .name = "table_filler.Base",
    .basicsize = sizeof(PyObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = Base_slots,
};

static int
table_filler_exec(PyObject *module)
{
    Base_slots[0].pfunc = (void *)PyModule_GetName(module);  // expect-not: FT002
    return PyModule_Add(module, "Base", PyType_FromSpec(&Base_spec));
}

static PyModuleDef_Slot table_filler_slots[] = {
    {Py_mod_exec, table_filler_exec},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef table_filler_def = {  // expect: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "table_filler",
    .m_size = 0,
    .m_methods = table_filler_methods,
    .m_slots = table_filler_slots,
};

PyMODINIT_FUNC
PyInit_table_filler(void)
{
    return PyModuleDef_Init(&table_filler_def);
}
