/* A module that declares Py_MOD_GIL_NOT_USED and then writes process-global state from
 * its methods with no lock: on a free-threaded build two threads can run these at the
 * same time. Writes made while the module initialises (exec and what it calls) are not
 * races: import runs them once, under the import lock.
 *
 * TP: FT002 at the first unsynchronised write of each variable made after initialisation
 * (a lazily created cache, a counter, a flag, a struct holding a callback, a PyThread lock
 * handle each call allocates, as _testcapi's `thread_done`: the lock is shared on purpose,
 * the variable holding it is not guarded, a buffer freed and cleared when set, as
 * _tkinter's `tcl_lock`: a write, not a lazy initialisation, a result written while a lock
 * the call allocated for itself is held, as _testinternalcapi's pending_identify: a lock
 * no other call can take guards nothing); SI006/SI010 at the variables; SI003.
 * TN: FT002 for the writes in the exec slot and in the helper it calls, for the
 * counter's second site (one finding per variable, naming the other sites), and for a
 * function exported for callers outside the module (ctypes calls such fixtures by name, with
 * the GIL released in every build), which the module's own code never runs; nor SI010 at
 * its variable; nor for a flag only a C signal handler sets (handed to PyOS_setsig or
 * stored in a struct sigaction): the kernel runs it in whichever thread the signal
 * interrupts, GIL or not, in every build. A handler a method also calls is a method too,
 * and its write is reported.
 *
 * subcheck-expect-module: name=ft_unsynchronised init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsupported free_threading=unsafe
 */
#include <Python.h>
#include <signal.h>

static PyObject *lookup_cache = NULL;  // expect: SI006
static long call_count = 0;  // expect: SI010
static int verbose = 0;  // expect: SI010
static PyObject *UnsyncError = NULL;  // expect: SI006
static int exec_ran = 0;  // expect: SI010
static struct {
    PyObject *callback;
    long runs;
} pending;  // expect: SI006
static char *scratch = NULL;  // expect: SI010
static PyThread_type_lock done_lock;  // expect: SI010 "lock handle 'done_lock' (PyThread_type_lock) is assigned at run time (in unsync_wait)" "PyMutex"
static long signal_result;  // expect: SI010
static long last_fixture_arg;  // expect-not: SI010
static volatile sig_atomic_t resized;  // expect: SI010
static volatile sig_atomic_t interrupted;  // expect: SI010

static PyObject *
unsync_lookup(PyObject *module, PyObject *key)
{
    if (lookup_cache == NULL) {
        lookup_cache = PyDict_New();  // expect: FT002 "process-global Python object 'lookup_cache' is lazily initialised"
        if (lookup_cache == NULL) {
            return NULL;
        }
    }
    call_count++;  // expect: FT002 "'call_count' is read and updated in place (in unsync_lookup), and at 1 more site (in unsync_set_verbose), without" "atomic"
    PyObject *value;
    if (PyDict_GetItemRef(lookup_cache, key, &value) < 0) {
        return NULL;
    }
    if (verbose) {
        PySys_FormatStderr("lookup %R -> %R\n", key, value);
    }
    return value != NULL ? value : Py_NewRef(Py_None);
}

static PyObject *
unsync_set_verbose(PyObject *module, PyObject *flag)
{
    int truth = PyObject_IsTrue(flag);
    if (truth < 0) {
        return NULL;
    }
    verbose = truth;  // expect: FT002 "threads race on it"
    call_count += 1;  // expect-not: FT002
    Py_RETURN_NONE;
}

static PyObject *
unsync_defer(PyObject *module, PyObject *callback)
{
    PyObject *old = pending.callback;
    pending.callback = Py_NewRef(callback);  // expect: FT002 "process-global variable holding Python objects 'pending'"
    Py_XDECREF(old);
    Py_RETURN_NONE;
}

static PyObject *
unsync_calls(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(call_count);
}

static PyObject *
unsync_wait(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    done_lock = PyThread_allocate_lock();  // expect: FT002 "'done_lock' is written (in unsync_wait)"
    if (done_lock == NULL) {
        return PyErr_NoMemory();
    }
    PyThread_acquire_lock(done_lock, WAIT_LOCK);
    PyThread_release_lock(done_lock);
    PyThread_free_lock(done_lock);
    done_lock = NULL;
    Py_RETURN_NONE;
}

static void
signal_done(void *lock)
{
    PyThread_release_lock((PyThread_type_lock)lock);
}

static PyObject *
unsync_signal(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    PyThread_type_lock signal = PyThread_allocate_lock();
    if (signal == NULL) {
        return PyErr_NoMemory();
    }
    PyThread_acquire_lock(signal, WAIT_LOCK);
    Py_BEGIN_ALLOW_THREADS
    signal_done(signal);
    Py_END_ALLOW_THREADS
    PyThread_acquire_lock(signal, WAIT_LOCK);
    PyThread_release_lock(signal);
    PyThread_free_lock(signal);
    signal_result = -1;  // expect: FT002 "'signal_result' is written (in unsync_signal)"
    Py_RETURN_NONE;
}

static PyObject *
unsync_drop_scratch(PyObject *module, PyObject *unused)
{
    if (scratch != NULL) {
        PyMem_Free(scratch);
        scratch = NULL;  // expect: FT002 "'scratch' is written (in unsync_drop_scratch)"
    }
    Py_RETURN_NONE;
}

long
unsync_fixture_store(long value)
{
    last_fixture_arg = value;  // expect-not: FT002
    return value + 1;
}

static void
unsync_on_resize(int signum)
{
    resized = 1;  // expect-not: FT002
}

static void
unsync_on_interrupt(int signum, siginfo_t *info, void *context)
{
    interrupted = 1;  // expect: FT002 "'interrupted' is written (in unsync_on_interrupt)"
}

static PyObject *
unsync_watch(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_sigaction = unsync_on_interrupt;
    action.sa_flags = SA_SIGINFO;
    if (sigaction(SIGINT, &action, NULL) != 0) {
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    PyOS_setsig(SIGWINCH, unsync_on_resize);
    Py_RETURN_NONE;
}

static PyObject *
unsync_interrupt_now(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    unsync_on_interrupt(SIGINT, NULL, NULL);
    Py_RETURN_NONE;
}

static PyMethodDef unsync_methods[] = {
    {"lookup", unsync_lookup, METH_O, NULL},
    {"set_verbose", unsync_set_verbose, METH_O, NULL},
    {"calls", unsync_calls, METH_NOARGS, NULL},
    {"defer", unsync_defer, METH_O, NULL},
    {"wait", unsync_wait, METH_NOARGS, NULL},
    {"drop_scratch", unsync_drop_scratch, METH_NOARGS, NULL},
    {"signal", unsync_signal, METH_NOARGS, NULL},
    {"watch", unsync_watch, METH_NOARGS, NULL},
    {"interrupt_now", unsync_interrupt_now, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static int
create_error(void)
{
    UnsyncError = PyErr_NewException("ft_unsynchronised.error", NULL, NULL);
    return UnsyncError == NULL ? -1 : 0;
}

static int
unsync_exec(PyObject *module)
{
    if (create_error() < 0) {
        return -1;
    }
    exec_ran = 1;
    return PyModule_AddObjectRef(module, "error", UnsyncError);
}

static PyModuleDef_Slot unsync_slots[] = {
    {Py_mod_exec, unsync_exec},
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},  // expect: SI003
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef unsync_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ft_unsynchronised",
    .m_size = 0,
    .m_methods = unsync_methods,
    .m_slots = unsync_slots,
};

PyMODINIT_FUNC
PyInit_ft_unsynchronised(void)
{
    return PyModuleDef_Init(&unsync_def);
}
