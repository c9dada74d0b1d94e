/* CPython's own modules may keep static types and still support a GIL per interpreter:
 * 3.13's _datetime hands each of its static types to _PyStaticType_InitForExtension in its
 * exec function, and CPython then keeps the type's mutable parts (dict, subclasses, method
 * cache) per interpreter, as for int or str. Re-created here with the internal API
 * declared by hand, so that the case reads the same on every Python version; a real module
 * includes pycore_typeobject.h under Py_BUILD_CORE_MODULE.
 *
 * TP: SI004 for a statically allocated object beside the managed types that exec writes
 * (CPython keeps no per-interpreter copy of an instance).
 * TN: SI004 and SI005 for the static types readied through _PyStaticType_InitForExtension;
 * SI004 and SI005 for a statically allocated constant nothing writes, as _datetime's
 * `zero_delta`: PyObject_HEAD_INIT makes it immortal on 3.12+, the first versions with
 * isolated subinterpreters, so it is shared like Py_None (PEP 683).
 *
 * subcheck-expect-module: name=managed_static_type init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsafe free_threading=gil-free
 */
#include <Python.h>

extern int _PyStaticType_InitForExtension(PyInterpreterState *interp, PyTypeObject *type);

typedef struct {
    PyObject_HEAD
    long days;
} SpanObject;

static PyTypeObject SpanType = {  // expect-not: SI004  // expect-not: SI005
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "managed_static_type.Span",
    .tp_basicsize = sizeof(SpanObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = PyType_GenericNew,
};

static PyTypeObject LongSpanType = {  // expect-not: SI004  // expect-not: SI005
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "managed_static_type.LongSpan",
    .tp_basicsize = sizeof(SpanObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

static SpanObject zero_span = {PyObject_HEAD_INIT(&SpanType) 0};  // expect-not: SI005  // expect-not: SI004
static SpanObject first_span = {PyObject_HEAD_INIT(&SpanType) 0};  // expect: SI004 "'first_span'"  // expect-not: SI005

static PyTypeObject *const span_types[] = {&SpanType, &LongSpanType};

static int
managed_exec(PyObject *module)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    for (size_t i = 0; i < Py_ARRAY_LENGTH(span_types); i++) {
        if (_PyStaticType_InitForExtension(interp, span_types[i]) < 0) {
            return -1;
        }
    }
    if (PyModule_AddObjectRef(module, "Span", (PyObject *)&SpanType) < 0) {
        return -1;
    }
    first_span.days = 1;
    if (PyModule_AddObjectRef(module, "FIRST", (PyObject *)&first_span) < 0) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "ZERO", (PyObject *)&zero_span);
}

static PyModuleDef_Slot managed_slots[] = {
    {Py_mod_exec, managed_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef managed_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "managed_static_type",
    .m_size = 0,
    .m_slots = managed_slots,
};

PyMODINIT_FUNC
PyInit_managed_static_type(void)
{
    return PyModuleDef_Init(&managed_def);
}
