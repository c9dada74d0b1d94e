/* The slots of export_hazards.c's module (see there). */
#include "pep793_compat.h"

static PyObject *last_argument;  // expect: SI006 "export_hazards_remember"

static PyObject *
export_hazards_remember(PyObject *module, PyObject *argument)
{
    Py_XSETREF(last_argument, Py_NewRef(argument));
    Py_RETURN_NONE;
}

static PyMethodDef export_hazards_methods[] = {
    {"remember", export_hazards_remember, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

#if PY_VERSION_HEX >= 0x030F0000
PyABIInfo_VAR(export_hazards_abi);
#endif

PySlot export_hazards_slots[] = {  // expect: SI002 "PySlot_DATA(Py_mod_multiple_interpreters" FT001 "PySlot_DATA(Py_mod_gil"
#if PY_VERSION_HEX >= 0x030F0000
    PySlot_DATA(Py_mod_abi, &export_hazards_abi),
#endif
    PySlot_DATA(Py_mod_name, "export_hazards"),
    PySlot_DATA(Py_mod_methods, export_hazards_methods),
    PySlot_END,
};
