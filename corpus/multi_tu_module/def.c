/* The PyModuleDef and the helper PyInit calls. Expectations: see module.h. */
#include "module.h"

static int
multi_tu_clear(PyObject *module)
{
    multi_tu_state *state = PyModule_GetState(module);
    Py_CLEAR(state->registry);
    return 0;
}

PyModuleDef multi_tu_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = MULTI_TU_NAME,
    .m_size = sizeof(multi_tu_state),
    .m_slots = multi_tu_slots,
    .m_clear = multi_tu_clear,
};

PyObject *
multi_tu_initialise(void)
{
    return PyModuleDef_Init(&multi_tu_def);
}
