/* Signal flags read from a list of exception classes (re-created after `_decimal`'s
 * list_as_flags): each borrowed item goes to a helper that only looks for it among the
 * known classes by address. Nothing reads through the item, so another thread dropping it
 * from the list cannot make the caller touch freed memory: the lookup is as good as a
 * comparison. A helper that reads through its parameter, or passes it on, or a caller
 * that also uses the item itself, is a use, and the lookup is reported.
 *
 * TN: FT003 in flags_of_list (the item only reaches flag_of, which compares it).
 * TP: FT003 in names_of_list (describe reads through the item), in forwarded_flags
 *     (flag_via hands it to flag_of: one level only), in flags_and_hash (the caller hashes
 *     the item as well).
 *
 * subcheck-expect-module: name=signal_flags init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

typedef struct {
    PyObject *overflow;
    PyObject *underflow;
} signal_state;

static unsigned
flag_of(signal_state *state, PyObject *candidate)
{
    if (candidate == NULL) {
        return 0;
    }
    if (candidate == state->overflow) {
        return 1;
    }
    if (candidate == state->underflow) {
        return 2;
    }
    return 4;
}

static unsigned
flag_via(signal_state *state, PyObject *candidate)
{
    return flag_of(state, candidate);
}

static long
describe(PyObject *candidate)
{
    return (long)PyObject_Length(candidate);
}

static unsigned
flags_of_list(signal_state *state, PyObject *list)
{
    unsigned flags = 0;
    Py_ssize_t n = PyList_Size(list);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GetItem(list, i);  // expect-not: FT003
        flags |= flag_of(state, item);
    }
    return flags;
}

static long
names_of_list(PyObject *list)
{
    PyObject *item = PyList_GetItem(list, 0);  // expect: FT003
    return describe(item);
}

static unsigned
forwarded_flags(signal_state *state, PyObject *list)
{
    PyObject *item = PyList_GetItem(list, 0);  // expect: FT003
    return flag_via(state, item);
}

static unsigned
flags_and_hash(signal_state *state, PyObject *list)
{
    PyObject *item = PyList_GetItem(list, 0);  // expect: FT003
    unsigned flags = flag_of(state, item);
    return flags + (unsigned)PyObject_Hash(item);
}

static PyObject *
signal_flags(PyObject *module, PyObject *list)
{
    signal_state *state = PyModule_GetState(module);
    unsigned total = flags_of_list(state, list) + forwarded_flags(state, list) + flags_and_hash(state, list);
    return PyLong_FromLong(names_of_list(list) + (long)total);
}

static PyMethodDef signal_flags_methods[] = {
    {"signal_flags", signal_flags, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot signal_flags_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef signal_flags_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "signal_flags",
    .m_size = sizeof(signal_state),
    .m_methods = signal_flags_methods,
    .m_slots = signal_flags_slots,
};

PyMODINIT_FUNC
PyInit_signal_flags(void)
{
    return PyModuleDef_Init(&signal_flags_def);
}
