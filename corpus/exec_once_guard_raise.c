/* SI012 exec-once-guard, the refusing variant (after msgspec's port to multi-phase init,
 * rewritten): the module declares Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED, yet its exec
 * raises ImportError when a process-global counter says it already ran. The second
 * interpreter to import it, or a re-import after `del sys.modules[...]`, fails.
 *
 * TP: SI012 at `import_count` (tested with && in the exec slot, incremented there);
 *     SI003 (shared-GIL declaration).
 * TN: SI010 at `import_count` (SI012 says more there).
 *
 * subcheck-expect-module: name=exec_once_guard_raise init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED gil=Py_MOD_GIL_USED subinterpreters=shared-gil-only free_threading=requires-gil
 */
#include <Python.h>

static int import_count;  // expect: SI012 "declares Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED"  // expect-not: SI010

static int
raise_exec(PyObject *module)
{
    if (module != NULL && import_count > 0) {
        PyErr_SetString(PyExc_ImportError, "cannot load module more than once per process");
        return -1;
    }
    import_count++;
    return PyModule_AddIntConstant(module, "VERSION", 3);
}

static PyModuleDef_Slot raise_slots[] = {
    {Py_mod_exec, raise_exec},
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED},  // expect: SI003
    {Py_mod_gil, Py_MOD_GIL_USED},
    {0, NULL},
};

static struct PyModuleDef raise_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "exec_once_guard_raise",
    .m_size = 0,
    .m_slots = raise_slots,
};

PyMODINIT_FUNC
PyInit_exec_once_guard_raise(void)
{
    return PyModuleDef_Init(&raise_def);
}
