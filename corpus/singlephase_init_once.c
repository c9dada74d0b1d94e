/* SI010 in a single-phase module with m_size = -1: CPython runs its PyInit once per
 * process and gives every later interpreter a copy of the module's dict
 * (docs/cpython-behaviour.md #28), so what only initialisation writes is written once
 * (dbus-python's libdbus data-slot handle, python-systemd's "type readied" flag). Only
 * the main interpreter and legacy subinterpreters load such a module, and they share one
 * GIL: a run-time write changes what the others see, but they do not race. A vendored
 * library's setter that nothing in the module calls (hiredis' hiredisSetAllocators in
 * python-hiredis) never runs; one whose address the module hands on does.
 *
 * TP: SI010 at `lookups` (a method counts), with the shared-GIL wording; at `on_exit_ran`
 *     (written by a function registered with Py_AtExit, so reachable); at `vendor_level`
 *     (the vendored setter a method does call).
 * TN: SI010 at `slot_handle`, `types_ready` and the lock handle `init_lock` (PyInit and its
 * helper only) and at
 *     `vendor_allocators` (written only by a vendored setter nothing calls).
 * SI006: at `InitOnceError`, made by PyInit only, worded as the porting work it is (later
 * interpreters get the same object in the copied dict anyway); at `last_arg`, set by a
 * method, as a run-time write, named at the method that stores it, not the one that clears it.
 * Also SI001 and FT001: a plain single-phase module.
 *
 * subcheck-expect-module: name=init_once init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

/* The vendored library: an allocator table, a verbosity level, and their setters. */
typedef struct {
    void *(*malloc_fn)(size_t);
    void (*free_fn)(void *);
} vendor_alloc_fns;

static vendor_alloc_fns vendor_allocators = {malloc, free};  // expect-not: SI010
static int vendor_level = 0;                                 // expect: SI010 "(in vendor_set_level)"

vendor_alloc_fns
vendor_set_allocators(vendor_alloc_fns *fns)
{
    vendor_alloc_fns old = vendor_allocators;
    vendor_allocators = *fns;
    return old;
}

void
vendor_set_level(int level)
{
    vendor_level = level;
}

static int slot_handle = -1;  // expect-not: SI010
static int types_ready;       // expect-not: SI010
static PyThread_type_lock init_lock;  // expect-not: SI010
static long lookups;          // expect: SI010 "legacy subinterpreters" "no race between them"
static int on_exit_ran;       // expect: SI010 "(in init_once_at_exit)"
static PyObject *InitOnceError;  // expect: SI006 "once per process (in PyInit_init_once)" "multi-phase"
static PyObject *last_arg;       // expect: SI006 "at run time (in init_once_remember)"

static PyObject *
init_once_forget(PyObject *module, PyObject *unused)
{
    Py_XDECREF(last_arg);
    last_arg = NULL;
    Py_RETURN_NONE;
}

static PyObject *
init_once_remember(PyObject *module, PyObject *arg)
{
    PyObject *previous = last_arg;
    last_arg = Py_NewRef(arg);
    Py_XDECREF(previous);
    Py_RETURN_NONE;
}

static PyObject *
init_once_lookup(PyObject *module, PyObject *arg)
{
    lookups++;
    return PyLong_FromLong(lookups + slot_handle);
}

static PyObject *
init_once_verbose(PyObject *module, PyObject *arg)
{
    PyThread_acquire_lock(init_lock, WAIT_LOCK);
    vendor_set_level(PyObject_IsTrue(arg));
    PyThread_release_lock(init_lock);
    Py_RETURN_NONE;
}

static PyMethodDef init_once_methods[] = {
    {"lookup", init_once_lookup, METH_O, NULL},
    {"verbose", init_once_verbose, METH_O, NULL},
    {"forget", init_once_forget, METH_NOARGS, NULL},
    {"remember", init_once_remember, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef init_once_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "init_once",
    .m_size = -1,
    .m_methods = init_once_methods,
};

static void
init_once_at_exit(void)
{
    on_exit_ran = 1;
}

static int
init_once_ready_types(void)
{
    if (!types_ready) {
        types_ready = 1;
    }
    return 0;
}

PyMODINIT_FUNC
PyInit_init_once(void)  // expect: FT001
{
    slot_handle = 3;
    init_lock = PyThread_allocate_lock();
    InitOnceError = PyErr_NewException("init_once.error", NULL, NULL);
    if (init_once_ready_types() < 0 || Py_AtExit(init_once_at_exit) < 0) {
        return NULL;
    }
    return PyModule_Create(&init_once_def);  // expect: SI001
}
