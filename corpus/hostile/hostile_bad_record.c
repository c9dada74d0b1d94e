/* Writes a step record that is not a JSON object into its result pipe, then hangs.
 * Issue 7: the runner waited out the time limit three times; the answer must be an error
 * for this probe at once.
 *
 * subcheck-expect-module: name=hostile_bad_record init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include "hostile.h"

static void bad_record(int fd) {
    ssize_t ignored = write(fd, "S 42\n", 5);
    (void)ignored;
}

static int attack(PyObject *module) {
    (void)module;
    hostile_each_own_pipe(100, bad_record);
    for (;;) pause();
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, attack},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "hostile_bad_record", .m_size = 0, .m_slots = slots};

PyMODINIT_FUNC PyInit_hostile_bad_record(void) { return PyModuleDef_Init(&def); }
