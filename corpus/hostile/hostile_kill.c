/* Kills what it can of the processes that run it: its parent (the probe host's zygote
 * where there is no sandbox), its grandparent (subcheck itself), and the pid the test
 * names as the caller. Issue 7: subcheck must keep every result and the report.
 *
 * subcheck-expect-module: name=hostile_kill init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include "hostile.h"

static int attack(PyObject *module) {
    char pid_text[32];
    hostile_config(module, "caller_pid", pid_text, sizeof pid_text);
    pid_t parent = getppid();
    pid_t grandparent = hostile_parent_of(parent);
    if (atoi(pid_text) > 1) kill((pid_t)atoi(pid_text), SIGKILL);
    if (grandparent > 1) kill(grandparent, SIGKILL);
    if (parent > 0) kill(parent, SIGKILL);
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

static PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "hostile_kill", .m_size = 0, .m_slots = slots};

PyMODINIT_FUNC PyInit_hostile_kill(void) { return PyModuleDef_Init(&def); }
