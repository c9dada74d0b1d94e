/* FT003 and a lookup table in module state. `_ssl` and `_hashlib` build dicts in exec
 * (error code to name, constructor to name), never change them afterwards, and only look
 * things up in them at run time: no call removes an item, so a borrowed reference to one
 * stays valid. A table a method fills, one handed to Python code, or one taken from
 * another module (as `_pickle` takes copyreg's registry) can change under the reader.
 *
 * TN: FT003 on `code_names` (made and filled by exec, read by a method, visited and
 *     cleared) and on `views` (exec hands out only a read-only proxy of it).
 * TP: FT003 on `seen` (a method adds to it), on `exported` (exec adds it to the module,
 *     where any code may change it) and on `registry` (another module's dict).
 *
 * subcheck-expect-module: name=init_table init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

typedef struct {
    PyObject *code_names;
    PyObject *views;
    PyObject *seen;
    PyObject *exported;
    PyObject *registry;
} table_state;

static table_state *
state_of(PyObject *module)
{
    return (table_state *)PyModule_GetState(module);
}

static PyObject *
table_name_of(PyObject *module, PyObject *code)
{
    table_state *st = state_of(module);
    PyObject *name = PyDict_GetItemWithError(st->code_names, code);  // expect-not: FT003
    if (name == NULL) {
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    }
    return Py_NewRef(name);
}

static PyObject *
table_view_of(PyObject *module, PyObject *key)
{
    PyObject *view = PyDict_GetItemWithError(state_of(module)->views, key);  // expect-not: FT003
    return view == NULL ? Py_NewRef(Py_None) : Py_NewRef(view);
}

static PyObject *
table_remember(PyObject *module, PyObject *key)
{
    table_state *st = state_of(module);
    PyObject *before = PyDict_GetItemWithError(st->seen, key);  // expect: FT003 "table_remember"
    if (before != NULL) {
        return Py_NewRef(before);
    }
    if (PyErr_Occurred() || PyDict_SetItem(st->seen, key, Py_None) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
table_exported(PyObject *module, PyObject *key)
{
    PyObject *value = PyDict_GetItemWithError(state_of(module)->exported, key);  // expect: FT003 "table_exported"
    return value == NULL ? Py_NewRef(Py_None) : Py_NewRef(value);
}

static PyObject *
table_registered(PyObject *module, PyObject *key)
{
    PyObject *value = PyDict_GetItemWithError(state_of(module)->registry, key);  // expect: FT003 "table_registered"
    return value == NULL ? Py_NewRef(Py_None) : Py_NewRef(value);
}

static int
fill_code_names(table_state *st)
{
    static const struct {
        long code;
        const char *name;
    } codes[] = {{1, "EPERM"}, {2, "ENOENT"}, {0, NULL}};
    for (int i = 0; codes[i].name != NULL; i++) {
        PyObject *key = PyLong_FromLong(codes[i].code);
        PyObject *name = PyUnicode_FromString(codes[i].name);
        int rc = key == NULL || name == NULL ? -1 : PyDict_SetItem(st->code_names, key, name);
        Py_XDECREF(key);
        Py_XDECREF(name);
        if (rc < 0) {
            return -1;
        }
    }
    return 0;
}

static int
table_exec(PyObject *module)
{
    table_state *st = state_of(module);
    st->code_names = PyDict_New();
    if (st->code_names == NULL || fill_code_names(st) < 0) {
        return -1;
    }
    st->views = PyDict_New();
    if (st->views == NULL || PyModule_Add(module, "views", PyDictProxy_New(st->views)) < 0) {
        return -1;
    }
    st->seen = PyDict_New();
    st->exported = PyDict_New();
    if (st->seen == NULL || st->exported == NULL) {
        return -1;
    }
    if (PyModule_AddObjectRef(module, "exported", st->exported) < 0) {
        return -1;
    }
    PyObject *copyreg = PyImport_ImportModule("copyreg");
    if (copyreg == NULL) {
        return -1;
    }
    st->registry = PyObject_GetAttrString(copyreg, "_extension_registry");
    Py_DECREF(copyreg);
    return st->registry == NULL ? -1 : 0;
}

static int
table_traverse(PyObject *module, visitproc visit, void *arg)
{
    table_state *st = state_of(module);
    Py_VISIT(st->code_names);
    Py_VISIT(st->views);
    Py_VISIT(st->seen);
    Py_VISIT(st->exported);
    Py_VISIT(st->registry);
    return 0;
}

static int
table_clear(PyObject *module)
{
    table_state *st = state_of(module);
    Py_CLEAR(st->code_names);
    Py_CLEAR(st->views);
    Py_CLEAR(st->seen);
    Py_CLEAR(st->exported);
    Py_CLEAR(st->registry);
    return 0;
}

static void
table_free(void *module)
{
    table_clear((PyObject *)module);
}

static PyMethodDef table_methods[] = {
    {"name_of", table_name_of, METH_O, NULL},
    {"view_of", table_view_of, METH_O, NULL},
    {"remember", table_remember, METH_O, NULL},
    {"exported", table_exported, METH_O, NULL},
    {"registered", table_registered, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot table_slots[] = {
    {Py_mod_exec, table_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef table_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "init_table",
    .m_size = sizeof(table_state),
    .m_methods = table_methods,
    .m_slots = table_slots,
    .m_traverse = table_traverse,
    .m_clear = table_clear,
    .m_free = table_free,
};

PyMODINIT_FUNC
PyInit_init_table(void)
{
    return PyModuleDef_Init(&table_def);
}
