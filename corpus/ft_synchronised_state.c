/* A module that declares Py_MOD_GIL_NOT_USED and keeps a little process-global C state,
 * every write of it synchronised: under a PyMutex, inside a critical section, through
 * C11 atomics, or in thread-local storage. Nothing here races on a free-threaded build.
 * Only C data is global (no Python objects), so the per-interpreter-GIL claim holds too;
 * the plain C globals are still process-wide, which SI010 notes unless a mutex guards them.
 *
 * TP: SI010 for the two globals written inside critical sections on the module object:
 * one module per interpreter, and a no-op with the GIL, so own-GIL interpreters race.
 * TN: SI010 for the total kept under a PyMutex (process-wide by design, synchronised), and
 * for a PyThread lock handle allocated once, under that PyMutex.
 * TN: FT002 (every write is under a lock or critical section, including the Argument
 * Clinic pattern: `sync_reset_impl` writes with no lock of its own, but its only caller
 * holds Py_BEGIN_CRITICAL_SECTION(module)); SI010/FT002 for the
 * PyMutex itself, _Atomic, _Thread_local and thread_local variables and const data;
 * SI004 (no Python objects, no static types).
 *
 * subcheck-expect-module: name=ft_synchronised init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>
#include <stdatomic.h>
#include <threads.h>

static PyMutex totals_lock;  // expect-not: SI010 FT002
static long long running_total = 0;  // expect-not: SI010
static PyThread_type_lock slow_lock;  // expect-not: SI010 FT002
static long last_seen = 0;  // expect: SI010
static long resets = 0;  // expect: SI010
static _Atomic long hits = 0;  // expect-not: SI004 SI010 FT002
static _Thread_local int recursion_depth = 0;
static thread_local long per_thread_calls = 0;  // expect-not: SI010 FT002
static const long long total_limit = 1LL << 40;  // expect-not: SI010 FT002

static PyObject *
sync_add(PyObject *module, PyObject *arg)
{
    long long amount = PyLong_AsLongLong(arg);
    if (amount == -1 && PyErr_Occurred()) {
        return NULL;
    }
    atomic_fetch_add(&hits, 1);
    per_thread_calls++;
    PyMutex_Lock(&totals_lock);
    if (slow_lock == NULL) {
        slow_lock = PyThread_allocate_lock();
    }
    running_total += amount;
    long long total = running_total;
    PyMutex_Unlock(&totals_lock);
    if (total > total_limit) {
        PyErr_SetString(PyExc_OverflowError, "total too large");
        return NULL;
    }
    return PyLong_FromLongLong(total);
}

static PyObject *
sync_remember(PyObject *module, PyObject *arg)
{
    long value = PyLong_AsLong(arg);
    if (value == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_BEGIN_CRITICAL_SECTION(module);
    last_seen = value;
    Py_END_CRITICAL_SECTION();
    Py_RETURN_NONE;
}

static PyObject *
sync_reset_impl(PyObject *module)
{
    resets++;
    last_seen = 0;
    Py_RETURN_NONE;
}

static PyObject *
sync_reset(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    PyObject *result;
    Py_BEGIN_CRITICAL_SECTION(module);
    result = sync_reset_impl(module);
    Py_END_CRITICAL_SECTION();
    return result;
}

static PyObject *
sync_depth(PyObject *module, PyObject *callable)
{
    recursion_depth++;
    PyObject *result = PyObject_CallNoArgs(callable);
    recursion_depth--;
    return result;
}

static PyObject *
sync_hits(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return Py_BuildValue("(ll)", (long)atomic_load(&hits), per_thread_calls);
}

static PyMethodDef sync_methods[] = {
    {"add", sync_add, METH_O, NULL},
    {"remember", sync_remember, METH_O, NULL},
    {"depth", sync_depth, METH_O, NULL},
    {"reset", sync_reset, METH_NOARGS, NULL},
    {"hits", sync_hits, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot sync_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef sync_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ft_synchronised",
    .m_size = 0,
    .m_methods = sync_methods,
    .m_slots = sync_slots,
};

PyMODINIT_FUNC
PyInit_ft_synchronised(void)
{
    return PyModuleDef_Init(&sync_def);
}
