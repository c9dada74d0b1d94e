/* FT003 and the dict of a module its PyInit has just made. Until PyInit returns the module,
 * no other thread can reach it or its dict, so an item borrowed from that dict cannot be
 * dropped under the reader. The real shape is psycopg2's: PyInit makes the module, hands
 * it to an init helper, which takes the module's dict and hands that to a builder that
 * looks up an entry the same loop stored a moment before.
 *
 * TN: FT003 in the builder every caller gives the new module's dict (through two helpers),
 *     and in PyInit itself reading the new module's dict.
 * TP: FT003 in the same kind of builder when a method hands it the module's dict at run
 *     time (the module is published by then: any thread may change its dict); and in a
 *     helper given `PyModule_GetDict` of a module a caller imported (shared by every
 *     thread that imports it).
 * Also SI001 and FT001: a plain single-phase module.
 *
 * subcheck-expect-module: name=init_dict init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

typedef struct {
    const char *name;
    const char *base; /* the entry this one copies, or NULL */
} caster_spec;

static const caster_spec caster_specs[] = {
    {"NUMBER", NULL},
    {"INTEGER", "NUMBER"},
    {NULL, NULL},
};

/* TN: only init_casters calls it, always with the new module's dict. */
static PyObject *
caster_from_spec(const caster_spec *spec, PyObject *namespace)
{
    if (spec->base != NULL) {
        PyObject *base = PyDict_GetItemString(namespace, spec->base);  // expect-not: FT003
        if (base == NULL) {
            PyErr_Format(PyExc_LookupError, "no base %s", spec->base);
            return NULL;
        }
        return PyUnicode_FromFormat("%s(%S)", spec->name, base);
    }
    return PyUnicode_FromString(spec->name);
}

static int
init_casters(PyObject *module)
{
    PyObject *namespace = PyModule_GetDict(module);
    if (namespace == NULL) {
        return -1;
    }
    for (const caster_spec *spec = caster_specs; spec->name != NULL; spec++) {
        PyObject *caster = caster_from_spec(spec, namespace);
        if (caster == NULL || PyDict_SetItemString(namespace, spec->name, caster) < 0) {
            Py_XDECREF(caster);
            return -1;
        }
        Py_DECREF(caster);
    }
    return 0;
}

/* TP: a method calls it with the published module's dict. */
static PyObject *
describe_entry(PyObject *namespace, const char *name)
{
    PyObject *entry = PyDict_GetItemString(namespace, name);  // expect: FT003 "describe_entry"
    return entry == NULL ? Py_NewRef(Py_None) : PyObject_Repr(entry);
}

static PyObject *
init_dict_describe(PyObject *module, PyObject *arg)
{
    const char *name = PyUnicode_AsUTF8(arg);
    if (name == NULL) {
        return NULL;
    }
    return describe_entry(PyModule_GetDict(module), name);
}

/* TP: the dict of a module another caller imported is every importer's. */
static PyObject *
lookup_in(PyObject *imported)
{
    PyObject *entry = PyDict_GetItemString(PyModule_GetDict(imported), "__version__");  // expect: FT003 "lookup_in"
    return Py_XNewRef(entry);
}

static PyObject *
init_dict_version_of(PyObject *module, PyObject *arg)
{
    PyObject *imported = PyImport_Import(arg);
    if (imported == NULL) {
        return NULL;
    }
    PyObject *version = lookup_in(imported);
    Py_DECREF(imported);
    return version == NULL ? Py_NewRef(Py_None) : version;
}

static PyMethodDef init_dict_methods[] = {
    {"describe", init_dict_describe, METH_O, NULL},
    {"version_of", init_dict_version_of, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef init_dict_def = {
    PyModuleDef_HEAD_INIT, "init_dict", NULL, -1, init_dict_methods,
};

PyMODINIT_FUNC
PyInit_init_dict(void)  // expect: FT001
{
    PyObject *module = PyModule_Create(&init_dict_def);  // expect: SI001
    if (module == NULL) {
        return NULL;
    }
    if (init_casters(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    /* TN: PyInit reads its own new module's dict. */
    PyObject *first = PyDict_GetItemString(PyModule_GetDict(module), "NUMBER");  // expect-not: FT003
    if (first == NULL || PyModule_AddObjectRef(module, "DEFAULT", first) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
