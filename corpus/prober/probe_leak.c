/* Leaks about 1 MiB on every import: its exec function allocates a buffer, touches every
 * page of it (so it counts in RSS) and forgets it. Nothing goes wrong on one import; the
 * stress probe, importing it over and over in fresh isolated subinterpreters, sees the
 * process's RSS grow every cycle and says so in a note. The verdict stays "supported".
 *
 * subcheck-expect-probe: interp=any subinterpreters=supported note=RSS
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=gil-free
 *
 * subcheck-expect-module: name=probe_leak init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>
#include <stdlib.h>
#include <string.h>

enum { LEAK_BYTES = 1024 * 1024 };

static int
leak_exec(PyObject *module)
{
    char *buffer = malloc(LEAK_BYTES);
    if (buffer == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memset(buffer, 0x5a, LEAK_BYTES);
    /* Where the buffer lives, as a number: keeps the memset from being optimised away
     * and is the only trace left of the allocation. */
    return PyModule_AddObject(module, "leaked_at", PyLong_FromVoidPtr(buffer));
}

static PyModuleDef_Slot leak_slots[] = {
    {Py_mod_exec, leak_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef leak_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_leak",
    .m_size = 0,
    .m_slots = leak_slots,
};

PyMODINIT_FUNC
PyInit_probe_leak(void)
{
    return PyModuleDef_Init(&leak_def);
}
