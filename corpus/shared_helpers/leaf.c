/* Calls a helper exported by another module's file (hub.c): hub's race is not leaf's.
 *
 * TN: FT002/SI010 for hub_calls attributed to leaf; leaf stays gil-free.
 *
 * subcheck-expect-module: name=leaf init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

#include "hub.h"

static PyObject *
leaf_poke(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(hub_bump());
}

static PyMethodDef leaf_methods[] = {
    {"poke", leaf_poke, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot leaf_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef leaf_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "leaf",
    .m_size = 0,
    .m_methods = leaf_methods,
    .m_slots = leaf_slots,
};

PyMODINIT_FUNC
PyInit_leaf(void)
{
    return PyModuleDef_Init(&leaf_def);
}
