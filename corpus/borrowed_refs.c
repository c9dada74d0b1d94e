/* Borrowed-reference APIs on containers other threads may change: on a free-threaded
 * build the item can be freed between the lookup and its use. Each has a strong-reference
 * replacement (used in the second half of the file). A borrowed lookup is fine when no
 * other thread can see the container: the function's own kwargs dict, or a container
 * the function has just created.
 *
 * TP: FT003 for each of PyDict_GetItem, PyDict_GetItemWithError, PyDict_GetItemString,
 * PyDict_SetDefault, PyList_GetItem, PyList_GET_ITEM, PyWeakref_GetObject,
 * PyWeakref_GET_OBJECT, PyImport_AddModule, PyCell_GET, _PyType_Lookup, and on a list a
 * Python callable returned; at each use of a macro the function defines, not at its #define.
 * TN: FT003 on kwargs, on fresh containers (PyDict_New ... and the copies PyMapping_Keys and
 * PyDict_Values return, a string's split, a helper's return value when every return of it
 * is one and it keeps no other reference; a local holds one only from its assignment on),
 * on a result only compared by address (also through a local nothing else reads),
 * inside assert(), and for every *Ref replacement.
 *
 * subcheck-expect-module: name=borrowed_refs init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

/* PyWeakref_GetObject and PyWeakref_GET_OBJECT are deprecated in 3.13: that is the point. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static PyObject *
borrowed_dict_lookups(PyObject *module, PyObject *args)
{
    PyObject *dict, *key;
    if (!PyArg_ParseTuple(args, "O!O", &PyDict_Type, &dict, &key)) {
        return NULL;
    }
    PyObject *a = PyDict_GetItem(dict, key);  // expect: FT003
    PyObject *b = PyDict_GetItemWithError(dict, key);  // expect: FT003
    if (b == NULL && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *c = PyDict_GetItemString(dict, "default");  // expect: FT003
    PyObject *d = PyDict_SetDefault(dict, key, Py_None);  // expect: FT003
    if (d == NULL) {
        return NULL;
    }
    return PyTuple_Pack(4, a ? a : Py_None, b ? b : Py_None, c ? c : Py_None, d);
}

static PyObject *
borrowed_list_lookups(PyObject *module, PyObject *list)
{
    if (!PyList_Check(list) || PyList_GET_SIZE(list) < 2) {
        PyErr_SetString(PyExc_TypeError, "expected a list of two or more items");
        return NULL;
    }
    PyObject *first = PyList_GetItem(list, 0);  // expect: FT003
    PyObject *second = PyList_GET_ITEM(list, 1);  // expect: FT003 "PyList_GetItemRef, or read the list inside Py_BEGIN_CRITICAL_SECTION(list)"
    return PyTuple_Pack(2, first, second);
}

static PyObject *
borrowed_other_lookups(PyObject *module, PyObject *args)
{
    PyObject *ref, *cell;
    if (!PyArg_ParseTuple(args, "OO!", &ref, &PyCell_Type, &cell)) {
        return NULL;
    }
    PyObject *target = PyWeakref_GetObject(ref);  // expect: FT003
    PyObject *same_target = PyWeakref_GET_OBJECT(ref);  // expect: FT003
    PyObject *main_module = PyImport_AddModule("__main__");  // expect: FT003
    PyObject *contents = PyCell_GET(cell);  // expect: FT003
    if (target == NULL || main_module == NULL) {
        return NULL;
    }
    return PyTuple_Pack(4, target, same_target, main_module, contents ? contents : Py_None);
}

/* kwargs belongs to this call alone: nobody else can mutate it. */
static PyObject *
borrowed_options(PyObject *module, PyObject *args, PyObject *kwargs)
{
    if (kwargs == NULL) {
        Py_RETURN_NONE;
    }
    PyObject *key = PyUnicode_FromString("verbose");
    if (key == NULL) {
        return NULL;
    }
    PyObject *verbose = PyDict_GetItem(kwargs, key);
    Py_DECREF(key);
    PyObject *level = PyDict_GetItemString(kwargs, "level");
    return PyTuple_Pack(2, verbose ? verbose : Py_None, level ? level : Py_None);
}

/* Containers created here are not shared until this function returns them. */
static PyObject *
borrowed_fresh(PyObject *module, PyObject *value)
{
    PyObject *d = PyDict_New();
    if (d == NULL) {
        return NULL;
    }
    if (PyDict_SetItemString(d, "value", value) < 0) {
        Py_DECREF(d);
        return NULL;
    }
    PyObject *stored = PyDict_GetItemString(d, "value");
    PyObject *list = PyList_New(1);
    if (list == NULL) {
        Py_DECREF(d);
        return NULL;
    }
    PyList_SET_ITEM(list, 0, Py_NewRef(stored));
    PyObject *again = PyList_GET_ITEM(list, 0);
    PyObject *result = PyTuple_Pack(2, again, d);
    Py_DECREF(list);
    Py_DECREF(d);
    return result;
}

/* Shapes from real code (a database adapter's cursor, a regex engine): the lists that
 * PyMapping_Keys, PyDict_Values and their kin return are new copies, so their items are
 * private; a weak reference's target compared by address is never dereferenced. */
static PyObject *
borrowed_private_copies(PyObject *module, PyObject *args)
{
    PyObject *mapping, *dict, *ref, *owner;
    if (!PyArg_ParseTuple(args, "OO!OO", &mapping, &PyDict_Type, &dict, &ref, &owner)) {
        return NULL;
    }
    PyObject *names;
    if (!(names = PyMapping_Keys(mapping))) {
        return NULL;
    }
    PyObject *first = PyList_GetItem(names, 0);  // expect-not: FT003
    PyObject *values = PyDict_Values(dict);
    if (values == NULL || PyList_GET_SIZE(values) == 0) {
        Py_DECREF(names);
        Py_XDECREF(values);
        return NULL;
    }
    PyObject *value = PyList_GET_ITEM(values, 0);  // expect-not: FT003
    int mine = PyWeakref_GetObject(ref) == owner;  // expect-not: FT003
    PyObject *result = Py_BuildValue("OOi", first ? first : Py_None, value, mine);
    Py_DECREF(names);
    Py_DECREF(values);
    return result;
}

/* TN FT003: a string's split is a new list nobody else holds (_pickle's dotted names). */
static PyObject *
borrowed_first_part(PyObject *module, PyObject *name)
{
    PyObject *parts = PyUnicode_Split(name, NULL, -1);
    if (parts == NULL) {
        return NULL;
    }
    PyObject *first = PyList_GET_SIZE(parts) ? PyList_GET_ITEM(parts, 0) : Py_None;  // expect-not: FT003
    Py_INCREF(first);
    Py_DECREF(parts);
    return first;
}

/* A helper that hands back the list a split made, after checking it (_pickle's
 * get_dotted_path): its callers hold the only reference. */
static PyObject *
split_dotted(PyObject *name)
{
    PyObject *parts = PyUnicode_Split(name, NULL, -1);
    if (parts == NULL) {
        return NULL;
    }
    if (PyList_GET_SIZE(parts) == 0) {
        Py_DECREF(parts);
        PyErr_SetString(PyExc_ValueError, "empty name");
        return NULL;
    }
    return parts;
}

/* The same, but the list is also kept on the module: another thread can reach it. */
static PyObject *
split_and_remember(PyObject *module, PyObject *name)
{
    PyObject *parts = PyUnicode_Split(name, NULL, -1);
    if (parts == NULL) {
        return NULL;
    }
    if (PyObject_SetAttrString(module, "last_split", parts) < 0) {
        Py_DECREF(parts);
        return NULL;
    }
    return parts;
}

/* TN FT003 on the helper's fresh list; TP on the one it also stored. */
static PyObject *
borrowed_helper_lists(PyObject *module, PyObject *name)
{
    PyObject *parts = split_dotted(name);
    if (parts == NULL) {
        return NULL;
    }
    PyObject *first = Py_NewRef(PyList_GET_ITEM(parts, 0));  // expect-not: FT003
    Py_DECREF(parts);
    PyObject *kept = split_and_remember(module, first);
    Py_DECREF(first);
    if (kept == NULL) {
        return NULL;
    }
    PyObject *last = Py_NewRef(PyList_GET_ITEM(kept, PyList_GET_SIZE(kept) - 1));  // expect: FT003
    Py_DECREF(kept);
    return last;
}

/* TP FT003: what a Python callable returns may be a list it keeps (a cache, a registry):
 * calling it makes no fresh container. */
static PyObject *
borrowed_factory_result(PyObject *module, PyObject *factory)
{
    PyObject *items = PyObject_CallNoArgs(factory);
    if (items == NULL || !PyList_Check(items) || PyList_GET_SIZE(items) == 0) {
        Py_XDECREF(items);
        return NULL;
    }
    PyObject *first = PyList_GET_ITEM(items, 0);  // expect: FT003
    Py_INCREF(first);
    Py_DECREF(items);
    return first;
}

/* TP FT003: the local names the caller's list when the item is read; a copy is assigned to
 * it only afterwards (the origin a macro use sees is the one at its own line). */
static PyObject *
borrowed_before_copy(PyObject *module, PyObject *list)
{
    PyObject *items = list;
    if (!PyList_Check(items) || PyList_GET_SIZE(items) == 0) {
        Py_RETURN_NONE;
    }
    PyObject *head = PyList_GET_ITEM(items, 0);  // expect: FT003 "borrowed_before_copy"
    Py_INCREF(head);
    items = PySequence_List(list);
    if (items == NULL) {
        Py_DECREF(head);
        return NULL;
    }
    PyObject *copied = PyList_GET_ITEM(items, 0);  // expect-not: FT003
    PyObject *result = PyTuple_Pack(2, head, copied);
    Py_DECREF(head);
    Py_DECREF(items);
    return result;
}

/* A bus binding's clean-up: the borrowed item is only tested for NULL, never used, so it
 * cannot be used after another thread freed it; one kept and used is still reported. */
static PyObject *
borrowed_only_tested(PyObject *module, PyObject *args)
{
    PyObject *registry, *key;
    if (!PyArg_ParseTuple(args, "O!O", &PyDict_Type, &registry, &key)) {
        return NULL;
    }
    if (PyDict_GetItem(registry, key) && PyDict_DelItem(registry, key) < 0) {  // expect-not: FT003
        return NULL;
    }
    if (!PyDict_GetItemString(registry, "default")) {  // expect-not: FT003
        Py_RETURN_NONE;
    }
    /* Checked only in debug builds: a release build (NDEBUG) has no call here. */
    assert(PyUnicode_Check(PyDict_GetItem(registry, key)));  // expect-not: FT003
    PyObject *kept;
    if ((kept = PyDict_GetItemString(registry, "default"))) {  // expect: FT003
        return Py_NewRef(kept);
    }
    Py_RETURN_NONE;
}

/* The type's MRO dicts can change under another thread too. */
static PyObject *
borrowed_type_lookup(PyObject *module, PyObject *name)
{
    PyObject *attribute = _PyType_Lookup(Py_TYPE(module), name);  // expect: FT003 "_PyType_LookupRef"
    return Py_NewRef(attribute ? attribute : Py_None);
}

/* TN FT003: the result kept in a local that is only ever compared or tested (dbus-python's
 * "already registered" guard); TP once the local is used, even past an assignment in a
 * branch (dbus-python's `if (!sig) sig = Py_None;`). */
static PyObject *
borrowed_compared_through_local(PyObject *module, PyObject *args)
{
    PyObject *registry, *key;
    if (!PyArg_ParseTuple(args, "O!O", &PyDict_Type, &registry, &key)) {
        return NULL;
    }
    PyObject *existing = PyDict_GetItem(registry, key);  // expect-not: FT003
    if (existing && existing != Py_None) {
        PyErr_SetString(PyExc_KeyError, "already registered");
        return NULL;
    }
    PyObject *fallback = PyDict_GetItemString(registry, "default");  // expect: FT003
    if (!fallback)
        fallback = Py_None; /* only when the lookup found nothing: its result is used below */
    return Py_NewRef(fallback);
}

/* TP FT003: in a loop, the next iteration appends what the lookup left in the local. */
static PyObject *
borrowed_compared_in_loop(PyObject *module, PyObject *registry)
{
    static const char *const names[] = {"first", "second"};
    PyObject *previous = NULL;
    PyObject *found = PyList_New(0);
    if (found == NULL || !PyDict_Check(registry)) {
        Py_XDECREF(found);
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        if (previous != NULL && PyList_Append(found, previous) < 0) {
            Py_DECREF(found);
            return NULL;
        }
        previous = PyDict_GetItemString(registry, names[i]);  // expect: FT003
        if (previous == NULL) {
            break;
        }
    }
    return found;
}

/* TN FT003: a weakref's target kept in a local that is then only compared inside
 * assert(), which a build with NDEBUG does not have (CPython's _testcapi weakref test): the
 * object is never used. TP once the local is used outside one. */
static PyObject *
borrowed_weakref_checks(PyObject *module, PyObject *args)
{
    PyObject *owner, *ref;
    if (!PyArg_ParseTuple(args, "OO", &owner, &ref)) {
        return NULL;
    }
    PyObject *target = PyWeakref_GetObject(ref);  // expect-not: FT003
    assert(target == owner);
    assert(Py_REFCNT(target) > 0);
    PyObject *passed = PyWeakref_GetObject(ref);  // expect: FT003
    assert(passed == owner);
    return Py_NewRef(passed);
}

/* TP FT003 at each use of a macro the function defines (as termios' SET_FROM_LIST does),
 * where the code runs; not again at the #define line, where the macro is only spelled. */
static PyObject *
borrowed_local_macro(PyObject *module, PyObject *list)
{
#define LONG_FROM_LIST(LIST, N) PyLong_AsLong(PyList_GetItem(LIST, N))  // expect-not: FT003
    long first = LONG_FROM_LIST(list, 0);  // expect: FT003
    long second = LONG_FROM_LIST(list, 1);  // expect: FT003
#undef LONG_FROM_LIST
    return PyLong_FromLong(first + second);
}

static PyObject *
strong_lookups(PyObject *module, PyObject *args)
{
    PyObject *dict, *list, *ref, *cell, *key;
    if (!PyArg_ParseTuple(args, "O!O!OO!O", &PyDict_Type, &dict, &PyList_Type, &list, &ref,
                          &PyCell_Type, &cell, &key)) {
        return NULL;
    }
    PyObject *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *f = NULL, *g = NULL;
    if (PyDict_GetItemRef(dict, key, &a) < 0 ||  // expect-not: FT003
        PyDict_GetItemStringRef(dict, "default", &b) < 0 ||
        PyDict_SetDefaultRef(dict, key, Py_None, &c) < 0 ||
        PyWeakref_GetRef(ref, &e) < 0) {
        goto done;
    }
    d = PyList_GetItemRef(list, 0);
    f = PyImport_AddModuleRef("__main__");
    g = PyCell_Get(cell);
done:
    Py_XDECREF(a);
    Py_XDECREF(b);
    Py_XDECREF(c);
    Py_XDECREF(d);
    Py_XDECREF(e);
    Py_XDECREF(f);
    Py_XDECREF(g);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef borrowed_methods[] = {
    {"dict_lookups", borrowed_dict_lookups, METH_VARARGS, NULL},
    {"list_lookups", borrowed_list_lookups, METH_O, NULL},
    {"before_copy", borrowed_before_copy, METH_O, NULL},
    {"first_part", borrowed_first_part, METH_O, NULL},
    {"other_lookups", borrowed_other_lookups, METH_VARARGS, NULL},
    {"options", (PyCFunction)(void (*)(void))borrowed_options, METH_VARARGS | METH_KEYWORDS, NULL},
    {"fresh", borrowed_fresh, METH_O, NULL},
    {"factory_result", borrowed_factory_result, METH_O, NULL},
    {"helper_lists", borrowed_helper_lists, METH_O, NULL},
    {"private_copies", borrowed_private_copies, METH_VARARGS, NULL},
    {"type_lookup", borrowed_type_lookup, METH_O, NULL},
    {"only_tested", borrowed_only_tested, METH_VARARGS, NULL},
    {"compared_through_local", borrowed_compared_through_local, METH_VARARGS, NULL},
    {"compared_in_loop", borrowed_compared_in_loop, METH_O, NULL},
    {"weakref_checks", borrowed_weakref_checks, METH_VARARGS, NULL},
    {"local_macro", borrowed_local_macro, METH_O, NULL},
    {"strong_lookups", strong_lookups, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot borrowed_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef borrowed_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "borrowed_refs",
    .m_size = 0,
    .m_methods = borrowed_methods,
    .m_slots = borrowed_slots,
};

PyMODINIT_FUNC
PyInit_borrowed_refs(void)
{
    return PyModuleDef_Init(&borrowed_def);
}
