/* Three modules defined in one file, as CPython's _testmultiphase.c and _testsinglephase.c
 * do: each finding inside a function belongs to the modules whose code reaches that
 * function (PyInit, the exec slot, the PyModuleDef's method table, type slots), not to
 * every module of the file. Also a call written inside a macro's argument, spread over
 * two lines, and statically allocated immortal objects.
 *
 * - `lookup_user` claims a per-interpreter GIL and one of its methods calls
 *   PyState_FindModule and stores a Python object in a global: SI004, verdict unsafe.
 *   It also hands out a static object made with PyObject_HEAD_INIT and bumps a field of
 *   it in a method: written at run time, SI004.
 * - `quiet_neighbour` claims the same and only shares the file: its verdict stays
 *   supported. Its exec hands out a static object made with PyObject_HEAD_INIT naming its
 *   type (immortal on 3.12+, the first versions with isolated subinterpreters) that
 *   nothing writes: a constant, no SI004 and no SI005.
 * - `cache_first` is single-phase and looks itself up in its PyInit (the "check the cache
 *   first" pattern); a method returns `Py_NewRef(PyState_FindModule(...))` with the call
 *   on the macro's second line: one SI007, at the call.
 *
 * TP: SI004 at the lookup, the written global and the written static object (FT002 at the
 * global's write: lookup_user declares Py_MOD_GIL_NOT_USED); SI007 once per call in
 * cache_first (advising multi-phase init for the one in PyInit, which has no self).
 * TN: no SI004 or SI005 for the unwritten immortal object, no second SI007 on the line of
 * `Py_NewRef(`.
 *
 * subcheck-expect-module: name=lookup_user init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsafe free_threading=unsafe
 * subcheck-expect-module: name=quiet_neighbour init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 * subcheck-expect-module: name=cache_first init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

typedef struct {
    PyObject_HEAD
    long tag;
} ConstantObject;

static PyModuleDef lookup_user_def;
static PyModuleDef cache_first_def;

/* ---- lookup_user ---- */

static PyObject *last_argument = NULL;  // expect: SI004 "'last_argument'" "(in lookup_user_find)"  // expect-not: SI006
static ConstantObject counted_value = {PyObject_HEAD_INIT(NULL) 0};  // expect: SI004 "'counted_value'"  // expect-not: SI005

static PyObject *
lookup_user_find(PyObject *self, PyObject *arg)
{
    PyObject *module = PyState_FindModule(&lookup_user_def);  // expect: SI004 "module 'lookup_user'" "(in lookup_user_find)"  // expect-not: SI007
    Py_XSETREF(last_argument, Py_NewRef(arg));  // expect: FT002 "'last_argument'"
    return Py_XNewRef(module);
}

static PyObject *
lookup_user_count(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    counted_value.tag++;
    return PyLong_FromLong(counted_value.tag);
}

static PyMethodDef lookup_user_methods[] = {
    {"find", lookup_user_find, METH_O, NULL},
    {"count", lookup_user_count, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static int
lookup_user_exec(PyObject *module)
{
    return PyModule_AddObjectRef(module, "counted", (PyObject *)&counted_value);
}

static PyModuleDef_Slot lookup_user_slots[] = {
    {Py_mod_exec, lookup_user_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef lookup_user_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "lookup_user",
    .m_methods = lookup_user_methods,
    .m_slots = lookup_user_slots,
};

PyMODINIT_FUNC
PyInit_lookup_user(void)
{
    return PyModuleDef_Init(&lookup_user_def);
}

/* ---- quiet_neighbour ---- */

static ConstantObject unit_value = {PyObject_HEAD_INIT(&PyBaseObject_Type) 1};  // expect-not: SI004 SI005

static PyObject *
quiet_neighbour_unit(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(unit_value.tag);
}

static PyMethodDef quiet_neighbour_methods[] = {
    {"unit", quiet_neighbour_unit, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static int
quiet_neighbour_exec(PyObject *module)
{
    return PyModule_AddObjectRef(module, "unit", (PyObject *)&unit_value);
}

static PyModuleDef_Slot quiet_neighbour_slots[] = {
    {Py_mod_exec, quiet_neighbour_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef quiet_neighbour_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "quiet_neighbour",
    .m_methods = quiet_neighbour_methods,
    .m_slots = quiet_neighbour_slots,
};

PyMODINIT_FUNC
PyInit_quiet_neighbour(void)
{
    return PyModuleDef_Init(&quiet_neighbour_def);
}

/* ---- cache_first ---- */

static PyObject *
cache_first_self(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(
        PyState_FindModule(&cache_first_def));  // expect: SI007 "(in cache_first_self)" "module from self"
}

static PyMethodDef cache_first_methods[] = {
    {"self", cache_first_self, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef cache_first_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "cache_first",
    .m_size = -1,
    .m_methods = cache_first_methods,
};

PyMODINIT_FUNC
PyInit_cache_first(void)  // expect: FT001
{
    PyObject *cached = PyState_FindModule(&cache_first_def);  // expect: SI007 "(in PyInit_cache_first)" "use multi-phase init"
    if (cached != NULL) {
        return Py_NewRef(cached);
    }
    return PyModule_Create(&cache_first_def);  // expect: SI001
}
