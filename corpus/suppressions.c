/* Inline suppressions. Findings silenced in the source are dropped from the report and
 * counted: by rule id, by rule name, and NumPy's `noqa: borrowed-ref OK` marker for
 * borrowed-reference calls someone has already reviewed. A suppression names one rule
 * and one line: it silences nothing else.
 *
 * Silenced here (no `expect:`): the SI006 on interned_hello, the SI006 on type_cache,
 * the FT003 on the reviewed PyDict_GetItemString.
 * Still reported: SI006 on unsuppressed_cache (its marker names another rule), the
 * second FT003 (its line has no marker), and the module-level SI003 and FT001.
 *
 * subcheck-expect-suppressed: 3
 * subcheck-expect-module: name=suppressions init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

static PyObject *interned_hello = NULL;  // subcheck: ignore[SI006]
static PyObject *type_cache = NULL;  // subcheck: ignore[global-python-object]
static PyObject *unsuppressed_cache = NULL;  // subcheck: ignore[SI010]  // expect: SI006

static PyObject *
suppressions_hello(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(interned_hello);
}

static PyObject *
suppressions_lookup(PyObject *module, PyObject *mapping)
{
    PyObject *reviewed = PyDict_GetItemString(mapping, "reviewed");  // noqa: borrowed-ref OK
    PyObject *unreviewed = PyDict_GetItemString(mapping, "unreviewed");  // expect: FT003
    return PyTuple_Pack(2, reviewed ? reviewed : Py_None, unreviewed ? unreviewed : Py_None);
}

static PyObject *
suppressions_remember(PyObject *module, PyObject *value)
{
    Py_XSETREF(unsuppressed_cache, Py_NewRef(value));
    Py_XSETREF(type_cache, Py_NewRef((PyObject *)Py_TYPE(value)));
    Py_RETURN_NONE;
}

static PyMethodDef suppressions_methods[] = {
    {"hello", suppressions_hello, METH_NOARGS, NULL},
    {"lookup", suppressions_lookup, METH_O, NULL},
    {"remember", suppressions_remember, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static int
suppressions_exec(PyObject *module)
{
    interned_hello = PyUnicode_InternFromString("hello");
    return interned_hello == NULL ? -1 : 0;
}

static PyModuleDef_Slot suppressions_slots[] = {  // expect: FT001
    {Py_mod_exec, suppressions_exec},
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},  // expect: SI003
    {0, NULL},
};

static PyModuleDef suppressions_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "suppressions",
    .m_size = 0,
    .m_methods = suppressions_methods,
    .m_slots = suppressions_slots,
};

PyMODINIT_FUNC
PyInit_suppressions(void)
{
    return PyModuleDef_Init(&suppressions_def);
}
