/* The slots array and the exec function. Expectations: see module.h. */
#include "module.h"

int
multi_tu_exec(PyObject *module)
{
    multi_tu_state *state = PyModule_GetState(module);
    state->registry = PyDict_New();
    if (state->registry == NULL) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "registry", state->registry);
}

PyModuleDef_Slot multi_tu_slots[] = {
    {Py_mod_exec, multi_tu_exec},
    MULTI_TU_INTERPRETERS_SLOT,  // expect: SI003
    MULTI_TU_GIL_SLOT,
    {0, NULL},
};
