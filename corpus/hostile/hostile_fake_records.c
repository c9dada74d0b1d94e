/* Writes fake records into its own result pipe (a clean import in every step, and the
 * final record), then fails its import. Issue 7, sixth row: its own verdict must not become
 * "supported" that way (a module that also ends its process right after can fake its own
 * verdict: docs/security.md).
 *
 * subcheck-expect-module: name=hostile_fake_records init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include "hostile.h"

static void fake(int fd) {
    static const char records[] =
        "S {\"where\":\"isolated-fresh\",\"ok\":true}\n"
        "S {\"where\":\"main\",\"ok\":true}\n"
        "S {\"where\":\"isolated\",\"ok\":true}\n"
        "D\n";
    ssize_t ignored = write(fd, records, sizeof records - 1);
    (void)ignored;
}

static int attack(PyObject *module) {
    (void)module;
    hostile_each_own_pipe(100, fake);
    PyErr_SetString(PyExc_ImportError, "hostile_fake_records refuses to load");
    return -1;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, attack},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "hostile_fake_records", .m_size = 0, .m_slots = slots};

PyMODINIT_FUNC PyInit_hostile_fake_records(void) { return PyModuleDef_Init(&def); }
