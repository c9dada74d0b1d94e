/* An isolated module defined by 3.15's export hook (PEP 793, docs/cpython-behaviour.md
 * #22): PyModExport_export_isolated returns the slots CPython builds the module from,
 * here with module state (Py_mod_state_size), an exec slot, a per-interpreter GIL and
 * no GIL. Everything said of multi-phase slots holds for these.
 *
 * TN: SI001 (no PyInit at all), SI002 and FT001 (both slots declared), SI006 (state in
 * module state, not in a global).
 *
 * subcheck-expect-module: name=export_isolated init=export multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include "pep793_compat.h"

typedef struct {
    PyObject *error;
} isolated_state;

static int
export_isolated_exec(PyObject *module)
{
    isolated_state *state = PyModule_GetState(module);
    state->error = PyErr_NewException("export_isolated.Error", NULL, NULL);  // expect-not: SI006
    if (state->error == NULL) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "Error", state->error);
}

static PyObject *
export_isolated_error(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    isolated_state *state = PyModule_GetState(module);
    return Py_NewRef(state->error);
}

static PyMethodDef export_isolated_methods[] = {
    {"error", export_isolated_error, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

#if PY_VERSION_HEX >= 0x030F0000
PyABIInfo_VAR(export_isolated_abi);
#endif

static PySlot export_isolated_slots[] = {  // expect-not: SI002 FT001
#if PY_VERSION_HEX >= 0x030F0000
    PySlot_DATA(Py_mod_abi, &export_isolated_abi),
#endif
    PySlot_DATA(Py_mod_name, "export_isolated"),
    PySlot_DATA(Py_mod_doc, "an isolated module from PyModExport_export_isolated"),
    PySlot_SIZE(Py_mod_state_size, sizeof(isolated_state)),
    PySlot_DATA(Py_mod_methods, export_isolated_methods),
    PySlot_FUNC(Py_mod_exec, export_isolated_exec),
    PySlot_DATA(Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED),
    PySlot_DATA(Py_mod_gil, Py_MOD_GIL_NOT_USED),
    PySlot_END,
};

PyMODEXPORT_FUNC
PyModExport_export_isolated(void)  // expect-not: SI001
{
    return export_isolated_slots;
}
