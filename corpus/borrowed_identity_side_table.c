/* Per-object data kept beside the objects, in module-level dicts keyed by each object's
 * address (re-created after dbus-python's variant levels and struct signatures, whose
 * objects are immutable and variable-sized, so they carry no slot of their own). A lookup
 * for an object the caller holds reads that object's own entry. When only the object's
 * tp_new (before anyone else can see it) and its tp_dealloc (after the last reference is
 * gone) change the table, no other thread can replace or remove that entry while the
 * caller holds the object, so the borrowed value cannot be freed under it
 * (docs/cpython-behaviour.md #36).
 *
 * TN: FT003 in level_of and level_getattro (`levels` changes only in Level_new, directly
 *     and through set_level, and in Level_dealloc through clear_level).
 * TP: FT003 in tag_of: `tags` also changes in Level_set_tag, a method any thread may call
 *     on a shared object, which drops the value another thread just looked up. FT003 in
 *     level_of_any: its key names an object the function cannot follow (a field).
 *
 * subcheck-expect-module: name=side_tables init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsafe free_threading=gil-free
 */
#include <Python.h>

static PyObject *levels;  // expect: SI004
static PyObject *tags;  // expect: SI004

typedef struct {
    PyObject_HEAD
    PyObject *peer;
} LevelObject;

static int
set_level(PyObject *obj, long level)
{
    PyObject *key = PyLong_FromVoidPtr(obj);
    if (key == NULL) {
        return -1;
    }
    int result;
    if (level <= 0) {
        result = PyDict_DelItem(levels, key);
    }
    else {
        PyObject *value = PyLong_FromLong(level);
        result = value == NULL ? -1 : PyDict_SetItem(levels, key, value);
        Py_XDECREF(value);
    }
    Py_DECREF(key);
    return result;
}

static void
clear_level(PyObject *obj)
{
    PyObject *exc = PyErr_GetRaisedException();
    if (set_level(obj, 0) < 0) {
        PyErr_Clear();
    }
    PyErr_SetRaisedException(exc);
}

static long
level_of(PyObject *obj)
{
    PyObject *key = PyLong_FromVoidPtr(obj);
    if (key == NULL) {
        return -1;
    }
    PyObject *value = PyDict_GetItem(levels, key);  // expect-not: FT003
    Py_DECREF(key);
    return value == NULL ? 0 : PyLong_AsLong(value);
}

static long
level_of_any(LevelObject *self)
{
    PyObject *key = PyLong_FromVoidPtr(self->peer);
    if (key == NULL) {
        return -1;
    }
    PyObject *value = PyDict_GetItem(levels, key);  // expect: FT003
    Py_DECREF(key);
    return value == NULL ? 0 : PyLong_AsLong(value);
}

static PyObject *
level_getattro(PyObject *obj, PyObject *name)
{
    if (PyUnicode_CompareWithASCIIString(name, "level") != 0) {
        return PyObject_GenericGetAttr(obj, name);
    }
    PyObject *key = PyLong_FromVoidPtr(obj);
    if (key == NULL) {
        return NULL;
    }
    PyObject *value = PyDict_GetItem(levels, key);  // expect-not: FT003
    Py_DECREF(key);
    return value == NULL ? PyLong_FromLong(0) : Py_NewRef(value);
}

static PyObject *
tag_of(PyObject *obj)
{
    PyObject *key = PyLong_FromVoidPtr(obj);
    if (key == NULL) {
        return NULL;
    }
    PyObject *tag = PyDict_GetItem(tags, key);  // expect: FT003
    Py_DECREF(key);
    return tag == NULL ? Py_NewRef(Py_None) : Py_NewRef(tag);
}

static PyObject *
Level_new(PyTypeObject *cls, PyObject *args, PyObject *kwargs)
{
    long level = 0;
    if (!PyArg_ParseTuple(args, "|l", &level)) {
        return NULL;
    }
    PyObject *self = cls->tp_alloc(cls, 0);
    if (self == NULL) {
        return NULL;
    }
    if (set_level(self, level) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    PyObject *key = PyLong_FromVoidPtr(self);
    if (key == NULL || PyDict_SetItem(levels, key, Py_None) < 0) {
        Py_XDECREF(key);
        Py_DECREF(self);
        return NULL;
    }
    Py_DECREF(key);
    return self;
}

static void
Level_dealloc(PyObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    clear_level(self);
    Py_CLEAR(((LevelObject *)self)->peer);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyObject *
Level_level(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(level_of(self) + level_of_any((LevelObject *)self));
}

static PyObject *
Level_tag(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return tag_of(self);
}

static PyObject *
Level_set_tag(PyObject *self, PyObject *tag)
{
    PyObject *key = PyLong_FromVoidPtr(self);
    if (key == NULL || PyDict_SetItem(tags, key, tag) < 0) {
        Py_XDECREF(key);
        return NULL;
    }
    Py_DECREF(key);
    Py_RETURN_NONE;
}

static PyMethodDef Level_methods[] = {
    {"level", Level_level, METH_NOARGS, NULL},
    {"tag", Level_tag, METH_NOARGS, NULL},
    {"set_tag", Level_set_tag, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot Level_slots[] = {
    {Py_tp_new, Level_new},
    {Py_tp_dealloc, Level_dealloc},
    {Py_tp_getattro, level_getattro},
    {Py_tp_methods, Level_methods},
    {0, NULL},
};

static PyType_Spec Level_spec = {
    .name = "side_tables.Level",
    .basicsize = sizeof(LevelObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Level_slots,
};

static int
side_tables_exec(PyObject *module)
{
    levels = PyDict_New();
    tags = PyDict_New();
    if (levels == NULL || tags == NULL) {
        return -1;
    }
    return PyModule_Add(module, "Level", PyType_FromModuleAndSpec(module, &Level_spec, NULL));
}

static PyModuleDef_Slot side_tables_slots[] = {
    {Py_mod_exec, side_tables_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef side_tables_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "side_tables",
    .m_size = 0,
    .m_slots = side_tables_slots,
};

PyMODINIT_FUNC
PyInit_side_tables(void)
{
    return PyModuleDef_Init(&side_tables_def);
}
