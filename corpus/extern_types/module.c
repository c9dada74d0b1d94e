/* A module whose static type is defined in another file and only readied here, as in
 * psycopg2 and hiredis: `extern PyTypeObject Gadget_Type;`. The type belongs to the
 * module although no function of gadget.c is called from here, so the module's claim of
 * per-interpreter GIL support is contradicted (SI004 at the type, in gadget.c). Widget_Type
 * (widget.c) is named only in the `{name, &type}` table the exec function walks.
 *
 * subcheck-expect-module: name=extern_types init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsafe free_threading=gil-free
 */
#include <Python.h>

extern PyTypeObject Gadget_Type;
extern PyTypeObject Widget_Type;

static struct {
    const char *name;
    PyTypeObject *type;
} extern_types_table[] = {
    {"Widget", &Widget_Type},
    {NULL, NULL},
};

static int
extern_types_exec(PyObject *module)
{
    if (PyType_Ready(&Gadget_Type) < 0) {
        return -1;
    }
    for (int i = 0; extern_types_table[i].name != NULL; i++) {
        if (PyModule_AddType(module, extern_types_table[i].type) < 0) {
            return -1;
        }
    }
    return PyModule_AddObjectRef(module, "Gadget", (PyObject *)&Gadget_Type);
}

static PyModuleDef_Slot extern_types_slots[] = {
    {Py_mod_exec, extern_types_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef extern_types_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "extern_types",
    .m_size = 0,
    .m_slots = extern_types_slots,
};

PyMODINIT_FUNC
PyInit_extern_types(void)
{
    return PyModuleDef_Init(&extern_types_def);
}
