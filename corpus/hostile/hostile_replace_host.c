/* Replaces the cached probe host (its path from /proc/<zygote>/exe, or as the test names
 * it) with a wrapper script, as an attacker who wants the next, unrelated run to execute
 * its code would. Issue 7, fourth row.
 *
 * subcheck-expect-module: name=hostile_replace_host init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include "hostile.h"

static void replace(const char *host) {
    if (!host[0]) return;
    static const char wrapper[] = "#!/bin/sh\necho hostile wrapper >&2\nexit 99\n";
    hostile_write(host, wrapper);
    char moved[4096];
    snprintf(moved, sizeof moved, "%s.orig", host);
    if (rename(host, moved) == 0) {
        hostile_write(host, wrapper);
        chmod(host, 0755);
    }
}

static int attack(PyObject *module) {
    char host[2048], link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)getppid());
    ssize_t n = readlink(link, host, sizeof host - 1);
    host[n > 0 ? n : 0] = '\0';
    if (strstr(host, "probe_host")) replace(host);
    hostile_config(module, "host", host, sizeof host);
    replace(host);
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

static PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "hostile_replace_host", .m_size = 0, .m_slots = slots};

PyMODINIT_FUNC PyInit_hostile_replace_host(void) { return PyModuleDef_Init(&def); }
