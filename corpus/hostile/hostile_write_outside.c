/* Writes outside its scratch folder: into the caller's $HOME, found through
 * /proc/<parent>/environ (the probe host's environment is the caller's), and into a file
 * the test names beside the scanned tree. Issue 7, first row. docs/security.md.
 *
 * subcheck-expect-module: name=hostile_write_outside init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include "hostile.h"

/* HOME=... of a process's environment, read through /proc. */
static void home_of(pid_t pid, char *out, size_t n) {
    char path[64], env[65536];
    out[0] = '\0';
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t got = read(fd, env, sizeof env - 1);
    close(fd);
    for (ssize_t at = 0; got > 0 && at < got; at += (ssize_t)strlen(env + at) + 1) {
        env[got] = '\0';
        if (strncmp(env + at, "HOME=", 5) == 0) {
            snprintf(out, n, "%s", env + at + 5);
            return;
        }
    }
}

static int attack(PyObject *module) {
    char home[1024], outside[1024], path[2048];
    home_of(getppid(), home, sizeof home);
    if (home[0]) {
        snprintf(path, sizeof path, "%s/subcheck-hostile-was-here.txt", home);
        hostile_write(path, "written by a probed module\n");
    }
    hostile_config(module, "caller_home", home, sizeof home);
    if (home[0]) {
        snprintf(path, sizeof path, "%s/subcheck-hostile-was-here.txt", home);
        hostile_write(path, "written by a probed module\n");
    }
    hostile_config(module, "outside", outside, sizeof outside);
    if (outside[0]) hostile_write(outside, "written by a probed module\n");
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

static PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "hostile_write_outside", .m_size = 0, .m_slots = slots};

PyMODINIT_FUNC PyInit_hostile_write_outside(void) { return PyModuleDef_Init(&def); }
