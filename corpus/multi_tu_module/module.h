/* One module spread over three translation units: the PyModuleDef (def.c), its slots
 * array and exec function (slots.c) and PyInit (init.c) are all in different files, and
 * the pieces are joined through the names and macros declared here. PyInit reaches
 * PyModuleDef_Init only through a helper defined in another file.
 *
 * TP: SI003 (at the slot entry in slots.c, written through a macro from this header).
 * TN: SI002 (the slot is in another file than the PyModuleDef), FT001 (Py_mod_gil comes
 * from a macro).
 *
 * subcheck-expect-module: name=multi_tu init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=shared-gil-only free_threading=gil-free
 */
#ifndef MULTI_TU_MODULE_H
#define MULTI_TU_MODULE_H

#include <Python.h>

#define MULTI_TU_NAME "multi_tu"
#define MULTI_TU_INTERPRETERS_SLOT \
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED}
#define MULTI_TU_GIL_SLOT {Py_mod_gil, Py_MOD_GIL_NOT_USED}

typedef struct {
    PyObject *registry;
} multi_tu_state;

extern PyModuleDef multi_tu_def;
extern PyModuleDef_Slot multi_tu_slots[];

int multi_tu_exec(PyObject *module);
PyObject *multi_tu_initialise(void);

#endif
