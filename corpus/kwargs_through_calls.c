/* The **kwargs dict a METH_KEYWORDS method receives is made by CPython for that one call:
 * no other thread can see it, so iterating it or reading items from it needs no critical
 * section, also in the helpers it is handed to. What decides is where each caller's
 * argument comes from, never what the parameter is called. Real shapes: a keyword-option
 * parser split into helpers (only ever given the call's kwargs), and multidict's
 * update-from-dict helper, given the call's kwargs by one caller and the user's positional
 * mapping by another.
 *
 * TP: FT004 and FT003 in a helper one of whose callers passes a dict the user holds; in a
 * method whose kwargs parameter was overwritten (`&kwargs` handed to an argument parser); in a
 * method with the kwargs signature that another function calls with a user's dict.
 * TN: FT004 and FT003 in helpers every caller hands its own kwargs (directly, through a
 * local copy of the pointer, and through a second helper), and in a helper given a dict
 * its caller just made.
 *
 * subcheck-expect-module: name=kwargs_through_calls init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

/* TN: only ever given a call's own kwargs (by kw_configure and kw_count_options). */
static Py_ssize_t
kw_count_set_options(PyObject *options)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0, count = 0;
    while (PyDict_Next(options, &pos, &key, &value)) {  // expect-not: FT004
        count += value != Py_None;
    }
    return count;
}

/* TN: a second helper between the method and the loop; the parameter still holds the
 * caller's kwargs. */
static Py_ssize_t
kw_count_options(PyObject *self, PyObject *opts)
{
    if (opts == NULL) {
        return 0;
    }
    PyObject *verbose = PyDict_GetItemString(opts, "verbose");  // expect-not: FT003
    return kw_count_set_options(opts) + (verbose != NULL && PyObject_IsTrue(verbose));
}

static PyObject *
kw_configure(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *options = kwargs;  /* a local copy of the pointer: still the call's dict */
    if (options == NULL) {
        return PyLong_FromLong(0);
    }
    Py_ssize_t set = kw_count_set_options(options);
    return PyLong_FromSsize_t(set + kw_count_options(self, kwargs));
}

/* TP: kw_update passes the call's kwargs, kw_extend the user's mapping. */
static Py_ssize_t
kw_merge_from(PyObject *target, PyObject *source)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(source, &pos, &key, &value)) {  // expect: FT004 "kw_merge_from"
        if (PyDict_SetItem(target, key, value) < 0) {
            return -1;
        }
    }
    PyObject *first = PyDict_GetItemString(source, "first");  // expect: FT003 "kw_merge_from"
    return first != NULL && PyObject_IsTrue(first);
}

static PyObject *
kw_update(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *target = PyDict_New();
    if (target == NULL || kwargs == NULL) {
        return target;
    }
    if (kw_merge_from(target, kwargs) < 0) {
        Py_DECREF(target);
        return NULL;
    }
    return target;
}

static PyObject *
kw_extend(PyObject *self, PyObject *mapping)
{
    PyObject *target = PyDict_New();
    if (target == NULL || !PyDict_Check(mapping) || kw_merge_from(target, mapping) < 0) {
        Py_XDECREF(target);
        return NULL;
    }
    return target;
}

/* TN: a helper given a dict its only caller just made. */
static Py_ssize_t
kw_count_copy(PyObject *copy)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0, count = 0;
    while (PyDict_Next(copy, &pos, &key, &value)) {  // expect-not: FT004
        count++;
    }
    return count;
}

static PyObject *
kw_count_copied(PyObject *self, PyObject *dict)
{
    PyObject *copy = PyDict_Copy(dict);
    if (copy == NULL) {
        return NULL;
    }
    Py_ssize_t count = kw_count_copy(copy);
    Py_DECREF(copy);
    return PyLong_FromSsize_t(count);
}

/* TP: the kwargs parameter overwritten by the argument parser holds the user's dict. */
static PyObject *
kw_walk(PyObject *self, PyObject *args, PyObject *kwargs)
{
    if (!PyArg_UnpackTuple(args, "walk", 1, 1, &kwargs) || !PyDict_Check(kwargs)) {
        return NULL;
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0, count = 0;
    while (PyDict_Next(kwargs, &pos, &key, &value)) {  // expect: FT004 "kw_walk"
        count++;
    }
    return PyLong_FromSsize_t(count);
}

/* TP: a METH_KEYWORDS method that another function calls directly with a user's dict. */
static PyObject *
kw_keys(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *key, *value, *keys = PyList_New(0);
    Py_ssize_t pos = 0;
    while (keys != NULL && kwargs != NULL && PyDict_Next(kwargs, &pos, &key, &value)) {  // expect: FT004 "kw_keys"
        if (PyList_Append(keys, key) < 0) {
            Py_CLEAR(keys);
        }
    }
    return keys;
}

static PyObject *
kw_keys_of(PyObject *self, PyObject *mapping)
{
    return kw_keys(self, NULL, mapping);
}

static PyMethodDef kw_methods[] = {
    {"configure", (PyCFunction)(void (*)(void))kw_configure, METH_VARARGS | METH_KEYWORDS, NULL},
    {"update", (PyCFunction)(void (*)(void))kw_update, METH_VARARGS | METH_KEYWORDS, NULL},
    {"extend", kw_extend, METH_O, NULL},
    {"count_copied", kw_count_copied, METH_O, NULL},
    {"walk", (PyCFunction)(void (*)(void))kw_walk, METH_VARARGS | METH_KEYWORDS, NULL},
    {"keys", (PyCFunction)(void (*)(void))kw_keys, METH_VARARGS | METH_KEYWORDS, NULL},
    {"keys_of", kw_keys_of, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot kw_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef kw_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "kwargs_through_calls",
    .m_size = 0,
    .m_methods = kw_methods,
    .m_slots = kw_slots,
};

PyMODINIT_FUNC
PyInit_kwargs_through_calls(void)
{
    return PyModuleDef_Init(&kw_def);
}
