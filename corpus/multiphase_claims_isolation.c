/* A module that claims Py_MOD_PER_INTERPRETER_GIL_SUPPORTED without being isolated: a
 * static type, a statically allocated object, a process-global Python object written
 * after import, and a PyState_FindModule lookup. CPython believes the claim, so the module loads in an
 * isolated subinterpreter and then shares objects across interpreters with different
 * GILs: it misbehaves instead of refusing.
 *
 * TP: SI004 at each offending variable or call, FT001.
 * TN: SI004 for the C-only counter (SI010: a note, not a Python object), SI003; SI005,
 * SI006 and SI007 where SI004 reports the same place (SI004 supersedes them, its TOML).
 *
 * subcheck-expect-module: name=claims_isolation init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=absent subinterpreters=unsafe free_threading=requires-gil
 */
#include <Python.h>

static PyModuleDef claims_isolation_def;

typedef struct {
    PyObject_HEAD
    double weight;
} LegacyObject;

static PyTypeObject LegacyType = {  // expect: SI004 "'LegacyType' is a static PyTypeObject"  // expect-not: SI005
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "claims_isolation.Legacy",
    .tp_basicsize = sizeof(LegacyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
};

typedef struct {
    PyObject_HEAD
    int unused;
} MarkerObject;

static MarkerObject marker = {PyObject_HEAD_INIT(NULL) 0};  /* written below */  // expect: SI004 "statically allocated Python object (MarkerObject)"  // expect-not: SI005

static PyObject *last_result = NULL;  // expect: SI004 "in claims_isolation_remember"  // expect-not: SI006
static unsigned long lookups = 0;  // expect: SI010 "own-GIL interpreters race on it"

static PyObject *
claims_isolation_remember(PyObject *module, PyObject *value)
{
    Py_XSETREF(last_result, Py_NewRef(value));
    marker.unused++;
    lookups++;
    Py_RETURN_NONE;
}

static PyObject *
claims_isolation_module(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *module = PyState_FindModule(&claims_isolation_def);  // expect: SI004 "calls PyState_FindModule (in claims_isolation_module)" "PyType_GetModuleByDef()" "never in the registry"  // expect-not: SI007
    return Py_XNewRef(module);
}

static PyMethodDef claims_isolation_methods[] = {
    {"remember", claims_isolation_remember, METH_O, NULL},
    {"module", claims_isolation_module, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static int
claims_isolation_exec(PyObject *module)
{
    if (PyType_Ready(&LegacyType) < 0) {
        return -1;
    }
    if (PyModule_AddObjectRef(module, "marker", (PyObject *)&marker) < 0) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "Legacy", (PyObject *)&LegacyType);
}

static PyModuleDef_Slot claims_isolation_slots[] = {  // expect: FT001
    {Py_mod_exec, claims_isolation_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {0, NULL},
};

static PyModuleDef claims_isolation_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "claims_isolation",
    .m_size = 0,
    .m_methods = claims_isolation_methods,
    .m_slots = claims_isolation_slots,
};

PyMODINIT_FUNC
PyInit_claims_isolation(void)
{
    return PyModuleDef_Init(&claims_isolation_def);
}
