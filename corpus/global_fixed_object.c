/* A global assigned only values that are the same for the whole process: a static type's
 * address (psycopg2's `Error = (PyObject *)&errorType`), Py_None, and the module's own
 * static definition from PyModule_GetDef (`_testcapi`'s heaptype tests keep theirs so). Whichever interpreter
 * runs exec last, the variable holds what the first one stored, so it shares nothing
 * beyond what it points to; the static type is SI005's, where it is defined.
 *
 * TN: SI006 at `error_alias`, `missing_marker` and `own_def`.
 * TP: SI006 at `greeting` (a new object per exec: each interpreter overwrites the
 *     others'); SI005 at the static type; SI002 (no Py_mod_multiple_interpreters), FT001
 *     (no Py_mod_gil).
 *
 * subcheck-expect-module: name=fixed_object init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 */
#include <Python.h>

static PyTypeObject FixedError_Type = {  // expect: SI005
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "fixed_object.Error",
    .tp_basicsize = sizeof(PyBaseExceptionObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
};

static PyObject *error_alias;     // expect-not: SI006
static PyObject *missing_marker;  // expect-not: SI006
static PyModuleDef *own_def;      // expect-not: SI006
static PyObject *greeting;        // expect: SI006

static PyObject *
fixed_object_get(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (own_def == NULL) {
        return NULL;
    }
    return PyTuple_Pack(3, error_alias, missing_marker, greeting);
}

static PyMethodDef fixed_object_methods[] = {
    {"get", fixed_object_get, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static int
fixed_object_exec(PyObject *module)
{
    FixedError_Type.tp_base = (PyTypeObject *)PyExc_Exception;
    if (PyType_Ready(&FixedError_Type) < 0) {
        return -1;
    }
    error_alias = (PyObject *)&FixedError_Type;
    missing_marker = Py_None;
    own_def = PyModule_GetDef(module);
    greeting = PyUnicode_FromString("hello");
    return greeting == NULL ? -1 : 0;
}

static PyModuleDef_Slot fixed_object_slots[] = {  // expect: FT001
    {Py_mod_exec, fixed_object_exec},
    {0, NULL},
};

static struct PyModuleDef fixed_object_def = {  // expect: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "fixed_object",
    .m_size = 0,
    .m_methods = fixed_object_methods,
    .m_slots = fixed_object_slots,
};

PyMODINIT_FUNC
PyInit_fixed_object(void)
{
    return PyModuleDef_Init(&fixed_object_def);
}
