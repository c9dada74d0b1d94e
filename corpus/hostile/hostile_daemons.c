/* Leaves daemons behind: setsid, fork, and exec of sleep with the long duration the
 * test names (so the test can look for them by their command line afterwards). Issue 7:
 * nothing may outlive its probe.
 *
 * subcheck-expect-module: name=hostile_daemons init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include "hostile.h"
#include <sys/wait.h>

static int attack(PyObject *module) {
    char seconds[64];
    hostile_config(module, "sleep_seconds", seconds, sizeof seconds);
    if (!seconds[0]) return 0;
    for (int i = 0; i < 3; i++) {
        pid_t first = fork();
        if (first == 0) {
            setsid();
            if (fork() == 0) {
                int devnull = open("/dev/null", O_RDWR);
                if (devnull >= 0) {
                    dup2(devnull, 0);
                    dup2(devnull, 1);
                    dup2(devnull, 2);
                }
                execl("/bin/sleep", "sleep", seconds, (char *)NULL);
                _exit(127);
            }
            _exit(0);
        }
        if (first > 0) waitpid(first, NULL, 0);
    }
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

static PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "hostile_daemons", .m_size = 0, .m_slots = slots};

PyMODINIT_FUNC PyInit_hostile_daemons(void) { return PyModuleDef_Init(&def); }
