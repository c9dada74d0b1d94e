/* A multi-phase module whose PyModuleDef says m_size = -1, the single-phase "no
 * per-interpreter state" value carried over by a half-done port (CPython's _testmultiphase
 * keeps one as a fixture). PyModule_FromDefAndSpec2 refuses it before any slot runs
 * ("m_size may not be negative for multi-phase initialization"), in every interpreter,
 * so no module object ever exists (docs/cpython-behaviour.md #30). FT001 and SI002 would
 * be false; nothing loads it, so the verdict for subinterpreters is unsupported.
 *
 * TP: FT001 and SI002 for the ported neighbour with m_size 0.
 * TN: FT001 and SI002 for the module with m_size -1.
 *
 * subcheck-expect-module: name=negative_size init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 * subcheck-expect-module: name=ported_size init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 */
#include <Python.h>

static int
size_exec(PyObject *module)
{
    return PyModule_AddIntConstant(module, "answer", 42);
}

static PyModuleDef_Slot negative_slots[] = {  // expect-not: FT001
    {Py_mod_exec, size_exec},
    {0, NULL},
};

static PyModuleDef negative_def = {  // expect-not: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "negative_size",
    .m_size = -1,
    .m_slots = negative_slots,
};

PyMODINIT_FUNC
PyInit_negative_size(void)
{
    return PyModuleDef_Init(&negative_def);
}

static PyModuleDef_Slot ported_slots[] = {  // expect: FT001
    {Py_mod_exec, size_exec},
    {0, NULL},
};

static PyModuleDef ported_def = {  // expect: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "ported_size",
    .m_size = 0,
    .m_slots = ported_slots,
};

PyMODINIT_FUNC
PyInit_ported_size(void)
{
    return PyModuleDef_Init(&ported_def);
}
