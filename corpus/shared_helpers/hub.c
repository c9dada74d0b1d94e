/* Two modules in one tree, the way CPython's posixmodule.c exports helpers that other
 * modules call: `leaf` calls `hub_bump`, defined by the `hub` module's file. The race in
 * hub_bump is hub's; leaf, which only calls it, must not inherit hub's findings (before
 * the fix, every caller of an exported helper of another module got them).
 *
 * TP (hub): SI010 and FT002 on hub_calls.
 *
 * subcheck-expect-module: name=hub init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=unsafe
 */
#include <Python.h>

#include "hub.h"

long hub_calls = 0;  // expect: SI010

long
hub_bump(void)
{
    return ++hub_calls;  // expect: FT002
}

static PyObject *
hub_count(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(hub_bump());
}

static PyMethodDef hub_methods[] = {
    {"count", hub_count, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot hub_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef hub_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hub",
    .m_size = 0,
    .m_methods = hub_methods,
    .m_slots = hub_slots,
};

PyMODINIT_FUNC
PyInit_hub(void)
{
    return PyModuleDef_Init(&hub_def);
}
