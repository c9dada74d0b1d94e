/* Iterating and testing objects other threads can reach, on a free-threaded build.
 *
 * TP: FT004 (PyDict_Next with no critical section), FT005 (a critical section opened
 * inside another: the outer one is suspended, so it no longer protects anything; use
 * Py_BEGIN_CRITICAL_SECTION2), FT006 (Py_REFCNT compared with 1 as a uniqueness test).
 * TN: FT004 inside Py_BEGIN_CRITICAL_SECTION(dict); FT005 for
 * Py_BEGIN_CRITICAL_SECTION2 and for two sections one after the other; FT006 for a
 * reference count that is only printed, and for a test whose branch only raises (itself
 * or through a helper of the unit that only raises), and for tp_new's own **kwargs dict.
 *
 * subcheck-expect-module: name=critical_sections init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

static PyObject *
cs_sum_values_racy(PyObject *module, PyObject *dict)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    long total = 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {  // expect: FT004
        total += PyLong_AsLong(value);
    }
    return PyLong_FromLong(total);
}

static PyObject *
cs_sum_values(PyObject *module, PyObject *dict)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    long total = 0;
    Py_BEGIN_CRITICAL_SECTION(dict);
    while (PyDict_Next(dict, &pos, &key, &value)) {  // expect-not: FT004
        total += PyLong_AsLong(value);
    }
    Py_END_CRITICAL_SECTION();
    return PyLong_FromLong(total);
}

static PyObject *
cs_move_nested(PyObject *module, PyObject *args)
{
    PyObject *source, *target;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &source, &PyList_Type, &target)) {
        return NULL;
    }
    int status = 0;
    Py_BEGIN_CRITICAL_SECTION(source);
    Py_BEGIN_CRITICAL_SECTION(target);  // expect: FT005
    status = PyList_SetSlice(target, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, source);
    Py_END_CRITICAL_SECTION();
    Py_END_CRITICAL_SECTION();
    if (status < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
cs_move(PyObject *module, PyObject *args)
{
    PyObject *source, *target;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &source, &PyList_Type, &target)) {
        return NULL;
    }
    int status = 0;
    Py_BEGIN_CRITICAL_SECTION2(source, target);  // expect-not: FT005
    status = PyList_SetSlice(target, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, source);
    Py_END_CRITICAL_SECTION2();
    if (status == 0) {
        Py_BEGIN_CRITICAL_SECTION(source);  // expect-not: FT005
        status = PyList_SetSlice(source, 0, PY_SSIZE_T_MAX, NULL);
        Py_END_CRITICAL_SECTION();
    }
    if (status < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
cs_append_in_place(PyObject *module, PyObject *args)
{
    PyObject *list, *item;
    if (!PyArg_ParseTuple(args, "O!O", &PyList_Type, &list, &item)) {
        return NULL;
    }
    if (Py_REFCNT(list) == 1) {  // expect: FT006
        if (PyList_Append(list, item) < 0) {
            return NULL;
        }
        return Py_NewRef(list);
    }
    PyObject *copy = PySequence_List(list);
    if (copy == NULL || PyList_Append(copy, item) < 0) {
        Py_XDECREF(copy);
        return NULL;
    }
    return copy;
}

/* TN FT006: an assert() decides nothing at run time (and is compiled out with NDEBUG).
 * TN FT004: the function's own **kwargs dict is not shared with any other thread. */
static PyObject *
cs_count_keywords(PyObject *module, PyObject *args, PyObject *kwargs)
{
    assert(Py_REFCNT(args) == 1 || Py_REFCNT(args) > 1);  // expect-not: FT006
    PyObject *key, *value;
    Py_ssize_t pos = 0, count = 0;
    while (kwargs != NULL && PyDict_Next(kwargs, &pos, &key, &value)) {
        count++;
    }
    return PyLong_FromSsize_t(count);
}

/* TP FT004: a helper's parameter named kwds is whatever dict its caller passes; here
 * the user's positional mapping (multidict's update-from-dict pattern), shared. */
static Py_ssize_t
cs_count_from_mapping(PyObject *kwds)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0, count = 0;
    while (PyDict_Next(kwds, &pos, &key, &value)) {  // expect: FT004 "cs_count_from_mapping"
        count++;
    }
    return count;
}

/* TP FT004: three parameters, the last two objects, yet not a METH_KEYWORDS signature:
 * the first is no Python object, so `kwds` is any dict (multidict's pair_list helper). */
typedef struct { Py_ssize_t size; } cs_pairs;

static Py_ssize_t
cs_pairs_update(cs_pairs *pairs, PyObject *used, PyObject *kwds)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(kwds, &pos, &key, &value)) {  // expect: FT004 "cs_pairs_update" "kwds (a parameter: the dict its callers pass in)"
        pairs->size++;
    }
    return pairs->size;
}

typedef struct {
    PyObject_HEAD
    cs_pairs pairs;
} cs_multi;

/* TN FT004: tp_init's kwargs, its self typed as the object's own struct. */
static int
cs_multi_init(cs_multi *self, PyObject *args, PyObject *kwds)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (kwds != NULL && PyDict_Next(kwds, &pos, &key, &value)) {
        self->pairs.size++;
    }
    if (PyTuple_GET_SIZE(args) == 1 && PyDict_Check(PyTuple_GET_ITEM(args, 0)))
        cs_pairs_update(&self->pairs, NULL, PyTuple_GET_ITEM(args, 0));
    return 0;
}

/* TN FT006: tp_new keeps the call's own **kwargs dict when nothing else holds it (functools'
 * partial_new): the dict CPython built for this call, which no other thread can have. */
static PyObject *
cs_multi_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    cs_multi *self = (cs_multi *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    PyObject *kept = NULL;
    if (kwds != NULL && Py_REFCNT(kwds) == 1) {  // expect-not: FT006
        kept = Py_NewRef(kwds);
    }
    else if (kwds != NULL) {
        kept = PyDict_Copy(kwds);
    }
    self->pairs.size = kept == NULL ? 0 : PyDict_Size(kept);
    Py_XDECREF(kept);
    return (PyObject *)self;
}

/* TP FT006: a tuple the function made, then handed to the caller's function, which may
 * keep it (functools.reduce reuses its args tuple so). */
static PyObject *
cs_reuse_args(PyObject *module, PyObject *func)
{
    PyObject *args = PyTuple_New(0);
    if (args == NULL) return NULL;
    PyObject *result = PyObject_Call(func, args, NULL);
    if (result != NULL && Py_REFCNT(args) > 1) {  // expect: FT006 "cs_reuse_args"
        Py_SETREF(args, PyTuple_New(0));
    }
    Py_XDECREF(args);
    return result;
}

/* TP FT006: the local holds the caller's cached tuple when it is tested; a tuple the
 * function makes is assigned to it only afterwards (itertools.pairwise's reuse). */
static PyObject *
cs_reuse_cached(PyObject *module, PyObject *cached)
{
    PyObject *result = cached;
    if (Py_REFCNT(result) == 1) {  // expect: FT006 "cs_reuse_cached"
        return Py_NewRef(result);
    }
    result = PyTuple_Pack(1, cached);
    return result;
}

static PyType_Slot cs_multi_slots[] = {
    {Py_tp_new, cs_multi_new},
    {Py_tp_init, cs_multi_init},
    {0, NULL},
};

static PyType_Spec cs_multi_spec = {"critical_sections.Multi", sizeof(cs_multi), 0, Py_TPFLAGS_DEFAULT, cs_multi_slots};

static PyObject *
cs_update(PyObject *module, PyObject *mapping)
{
    if (PyType_FromSpec(&cs_multi_spec) == NULL) return NULL;
    return PyLong_FromSsize_t(PyDict_Check(mapping) ? cs_count_from_mapping(mapping) : 0);
}

static PyObject *
cs_is_shared(PyObject *module, PyObject *obj)
{
    return PyBool_FromLong(Py_REFCNT(obj) > 1);  // expect: FT006
}

static PyObject *
cs_debug_refs(PyObject *module, PyObject *obj)
{
    PySys_FormatStderr("refcount of %R: %zd\n", obj, Py_REFCNT(obj));  // expect-not: FT006
    Py_RETURN_NONE;
}

/* TN FT006: the comparison only guards an error (a test that a reference was handed over,
 * as CPython's _testcapimodule does): it decides nothing about using the object.
 * TP FT006: the same comparison whose branch does something with the object. */
static PyObject *
cs_check_handed_over(PyObject *module, PyObject *arg)
{
    PyObject *held = Py_NewRef(arg);
    Py_DECREF(held);
    if (Py_REFCNT(arg) != 1) {  // expect-not: FT006
        PyErr_SetString(PyExc_AssertionError, "a reference was not given back");
        return NULL;
    }
    if (Py_REFCNT(arg) == 1)  // expect-not: FT006
        goto fail;
    if (Py_REFCNT(arg) == 1) {  // expect: FT006
        PyErr_Clear();
        return Py_NewRef(arg);
    }
    Py_RETURN_NONE;
fail:
    PyErr_SetString(PyExc_AssertionError, "only one owner");
    return NULL;
}

/* A helper that only raises, the way CPython's tests report a failed check, and one that
 * keeps the object. */
static PyObject *
cs_fail(PyObject *module, const char *what)
{
    PyErr_Format(PyExc_AssertionError, "%s: a reference was kept", what);
    return NULL;
}

static PyObject *
cs_keep(PyObject *module, PyObject *obj)
{
    Py_INCREF(obj);
    return obj;
}

/* TN FT006: the branch returns what a raising helper of the unit returns (NULL).
 * TP FT006: the branch returns what a helper that keeps the object returns. */
static PyObject *
cs_check_through_helper(PyObject *module, PyObject *arg)
{
    if (Py_REFCNT(arg) != 2) {  // expect-not: FT006
        return cs_fail(module, "check_through_helper");
    }
    if (Py_REFCNT(arg) == 1)  // expect: FT006
        return cs_keep(module, arg);
    Py_RETURN_NONE;
}

static PyMethodDef cs_methods[] = {
    {"sum_values_racy", cs_sum_values_racy, METH_O, NULL},
    {"sum_values", cs_sum_values, METH_O, NULL},
    {"count_keywords", _PyCFunction_CAST(cs_count_keywords), METH_VARARGS | METH_KEYWORDS, NULL},
    {"move_nested", cs_move_nested, METH_VARARGS, NULL},
    {"move", cs_move, METH_VARARGS, NULL},
    {"append_in_place", cs_append_in_place, METH_VARARGS, NULL},
    {"update", cs_update, METH_O, NULL},
    {"is_shared", cs_is_shared, METH_O, NULL},
    {"debug_refs", cs_debug_refs, METH_O, NULL},
    {"check_handed_over", cs_check_handed_over, METH_O, NULL},
    {"check_through_helper", cs_check_through_helper, METH_O, NULL},
    {"reuse_args", cs_reuse_args, METH_O, NULL},
    {"reuse_cached", cs_reuse_cached, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot cs_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef cs_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "critical_sections",
    .m_size = 0,
    .m_methods = cs_methods,
    .m_slots = cs_slots,
};

PyMODINIT_FUNC
PyInit_critical_sections(void)
{
    return PyModuleDef_Init(&cs_def);
}
