/* SI010 and writes that store one fixed value: posixmodule's struct-sequence field names
 * (`stat_result_desc.fields[7].name = PyStructSequence_UnnamedField`), _decimal's allocator
 * hooks (`mpd_mallocfunc = PyMem_Malloc`), xxlimited_35's `&PyBaseObject_Type` in a slot
 * table. Each exec, in each interpreter, stores what the first one stored, so after the
 * first import the variable never changes and no interpreter sees another's setting.
 *
 * TN: SI010 at `alloc_hook` (a function), `point_fields` (a const global's value, at two
 *     places), `point_desc` (a string literal) and `base_slots` (a global's address).
 * TP: SI010 at `mode_name` (two different literals at one place), at `marked` (an integer
 *     constant: the value of a flag, whose race around its test is the problem) and at
 *     `derived_slots` (a slot taken from another type when exec runs).
 *
 * subcheck-expect-module: name=same_value_writes init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_USED subinterpreters=supported free_threading=requires-gil
 */
#include <Python.h>

static void *(*alloc_hook)(size_t) = malloc;  // expect-not: SI010

static PyStructSequence_Field point_fields[] = {  // expect-not: SI010
    {"x", "first coordinate"},
    {"y", "second coordinate"},
    {"z", "third coordinate"},
    {NULL, NULL},
};

static PyStructSequence_Desc point_desc = {  // expect-not: SI010
    NULL,
    "a point",
    point_fields,
    1,
};

static const char *mode_name = "fast";  // expect: SI010 "'mode_name'"
static int marked;                      // expect: SI010 "'marked'"

static PyType_Slot base_slots[] = {  // expect-not: SI010
    {Py_tp_base, NULL},
    {0, NULL},
};

static PyType_Spec base_spec = {
    .name = "same_value_writes.Derived",
    .basicsize = sizeof(PyObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = base_slots,
};

static PyType_Slot derived_slots[] = {  // expect: SI010 "table 'derived_slots'"
    {Py_tp_repr, NULL},
    {0, NULL},
};

static PyType_Spec derived_spec = {
    .name = "same_value_writes.Repr",
    .basicsize = sizeof(PyObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = derived_slots,
};

static PyObject *
same_value_fast(PyObject *module, PyObject *unused)
{
    mode_name = "fast";
    return PyUnicode_FromString(mode_name);
}

static PyObject *
same_value_slow(PyObject *module, PyObject *unused)
{
    mode_name = "slow";
    return PyUnicode_FromString(mode_name);
}

static PyObject *
same_value_mark(PyObject *module, PyObject *unused)
{
    marked = 1;
    void *block = alloc_hook(16);
    PyMem_Free(block);
    Py_RETURN_NONE;
}

static PyMethodDef same_value_methods[] = {
    {"fast", same_value_fast, METH_NOARGS, NULL},
    {"slow", same_value_slow, METH_NOARGS, NULL},
    {"mark", same_value_mark, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static int
same_value_exec(PyObject *module)
{
    alloc_hook = PyMem_Malloc;
    point_desc.name = "same_value_writes.point";
    point_fields[1].name = PyStructSequence_UnnamedField;
    point_fields[2].name = PyStructSequence_UnnamedField;
    base_slots[0].pfunc = &PyBaseObject_Type;
    derived_slots[0].pfunc = PyType_GetSlot(&PyLong_Type, Py_tp_repr);
    if (PyModule_Add(module, "point", (PyObject *)PyStructSequence_NewType(&point_desc)) < 0 ||
        PyModule_Add(module, "Derived", PyType_FromSpec(&base_spec)) < 0) {
        return -1;
    }
    return PyModule_Add(module, "Repr", PyType_FromSpec(&derived_spec));
}

static PyModuleDef_Slot same_value_slots[] = {
    {Py_mod_exec, same_value_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_USED},
    {0, NULL},
};

static struct PyModuleDef same_value_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "same_value_writes",
    .m_size = 0,
    .m_methods = same_value_methods,
    .m_slots = same_value_slots,
};

PyMODINIT_FUNC
PyInit_same_value_writes(void)
{
    return PyModuleDef_Init(&same_value_def);
}
