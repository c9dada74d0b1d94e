/* Leaves a daemon (fork, setsid, fork) that opens the probe host's descriptors through
 * /proc/<zygote>/fd/N and writes answers for other modules' probe ids, all "supported".
 * Issue 7, fifth row.
 *
 * subcheck-expect-module: name=hostile_forge_answers init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include "hostile.h"
#include <sys/wait.h>

static void forge(pid_t zygote) {
    char line[512];
    for (int round = 0; round < 40; round++) {
        for (int fd = 0; fd < 64; fd++) {
            char path[64];
            snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)zygote, fd);
            int out = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (out < 0) continue;
            for (int id = 1; id <= 300; id++) {
                int n = snprintf(line, sizeof line,
                                 "{\"id\":%d,\"probe\":\"isolated\",\"outcome\":\"ok\",\"exit_code\":0,\"signal\":0,"
                                 "\"elapsed_ms\":1,\"steps\":[{\"where\":\"main\",\"ok\":true},{\"where\":\"isolated\","
                                 "\"ok\":true}],\"output\":\"\"}\n",
                                 id);
                if (write(out, line, (size_t)n) < 0) break;
            }
            close(out);
        }
        usleep(50 * 1000);
    }
}

static int attack(PyObject *module) {
    (void)module;
    pid_t zygote = getppid();
    pid_t first = fork();
    if (first == 0) {
        setsid();
        if (fork() == 0) {
            forge(zygote);
            _exit(0);
        }
        _exit(0);
    }
    if (first > 0) waitpid(first, NULL, 0);
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

static PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "hostile_forge_answers", .m_size = 0, .m_slots = slots};

PyMODINIT_FUNC PyInit_hostile_forge_answers(void) { return PyModuleDef_Init(&def); }
