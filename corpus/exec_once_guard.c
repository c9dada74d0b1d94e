/* SI012 exec-once-guard: a multi-phase module without a Py_mod_multiple_interpreters slot
 * (so it supports several interpreters by default) that keeps "already done" flags in C
 * globals, as psutil did after its port to multi-phase init (rewritten here). The first
 * interpreter's exec sets them; every later exec finds them set and skips its set-up.
 *
 * TP: SI012 at `module_loaded` (tested and set in the exec slot itself) and at
 *     `constants_ready` (tested and set in a helper only exec calls), each instead of
 *     SI010's note; SI002 (no Py_mod_multiple_interpreters slot).
 * TN: SI012 at `exec_runs` (only written, never tested), at `lookup_table` (a lazily built
 *     process-wide C table: the value stored is the data, not a flag; SI010 notes it) and
 *     at `tables_once` (pthread_once: the flag is the library's, never tested here), whose
 *     `crc_table` is process-wide C data SI010 notes, and at `setting_applied` (the
 *     once-setting of a C helper that takes no Python object, left to SI010). FT001: no Py_mod_gil slot (kept out so
 *     the case is about interpreters, not threads).
 *
 * subcheck-expect-module: name=exec_once_guard init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 */
#include <Python.h>
#include <pthread.h>
#include <stdlib.h>

static int module_loaded = 0;        // expect: SI012 "'module_loaded'" "(in once_guard_exec)"  // expect-not: SI010
static int constants_ready;          // expect: SI012 "tested (in add_constants)"  // expect-not: SI010
static long exec_runs;               // expect: SI010  // expect-not: SI012
static unsigned char *lookup_table;  // expect: SI010  // expect-not: SI012
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;  // expect-not: SI012 SI010
static int crc_table[256];           // expect: SI010  // expect-not: SI012
static int setting_applied;          // expect: SI010  // expect-not: SI012

/* A C library's once-setting, as libmpdec's mpd_setminalloc: no Python object in sight,
 * so its early return skips no module set-up. */
static void
apply_setting(int value)
{
    if (setting_applied) {
        return;
    }
    crc_table[0] = value;
    setting_applied = 1;
}

static void
build_crc_table(void)
{
    for (int i = 0; i < 256; i++) {
        crc_table[i] = i * 7;
    }
}

static int
add_constants(PyObject *module)
{
    if (constants_ready) {
        return 0;
    }
    if (PyModule_AddIntConstant(module, "LIMIT", 64) < 0) {
        return -1;
    }
    constants_ready = 1;
    return 0;
}

static int
once_guard_exec(PyObject *module)
{
    if (module_loaded) {
        return 0;
    }
    exec_runs = 1;
    if (lookup_table == NULL) {
        lookup_table = malloc(256);
        if (lookup_table == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    pthread_once(&tables_once, build_crc_table);
    apply_setting(3);
    if (add_constants(module) < 0) {
        return -1;
    }
    module_loaded = 1;
    return 0;
}

static PyModuleDef_Slot once_guard_slots[] = {  // expect: FT001
    {Py_mod_exec, once_guard_exec},
    {0, NULL},
};

static struct PyModuleDef once_guard_def = {  // expect: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "exec_once_guard",
    .m_size = 0,
    .m_slots = once_guard_slots,
};

PyMODINIT_FUNC
PyInit_exec_once_guard(void)
{
    return PyModuleDef_Init(&once_guard_def);
}
