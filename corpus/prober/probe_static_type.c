/* A module that claims Py_MOD_PER_INTERPRETER_GIL_SUPPORTED yet exposes a static
 * PyTypeObject. CPython believes the claim, so the import succeeds in an isolated
 * subinterpreter, and both interpreters then hold the very same type object, its
 * reference count and its dict touched under two different GILs. The shared-objects probe
 * sees the same id() for StaticThing in both: the dynamic evidence for the analyzer's
 * SI004 finding below (which stands for SI005 there).
 *
 * subcheck-expect-probe: interp=any subinterpreters=supported shared_object=StaticThing
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=requires-gil
 *
 * subcheck-expect-module: name=probe_static_type init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=absent subinterpreters=unsafe free_threading=requires-gil
 */
#include <Python.h>

typedef struct {
    PyObject_HEAD
    long size;
} StaticThingObject;

static PyTypeObject StaticThing_Type = {  // expect: SI004  // expect-not: SI005
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "probe_static_type.StaticThing",
    .tp_basicsize = sizeof(StaticThingObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
};

static int
static_type_exec(PyObject *module)
{
    if (PyType_Ready(&StaticThing_Type) < 0) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "StaticThing", (PyObject *)&StaticThing_Type);
}

static PyModuleDef_Slot static_type_slots[] = {  // expect: FT001
    {Py_mod_exec, static_type_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {0, NULL},
};

static PyModuleDef static_type_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_static_type",
    .m_size = 0,
    .m_slots = static_type_slots,
};

PyMODINIT_FUNC
PyInit_probe_static_type(void)
{
    return PyModuleDef_Init(&static_type_def);
}
