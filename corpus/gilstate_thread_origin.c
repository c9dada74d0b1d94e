/* Where a PyGILState call runs decides whether it is wrong (SI008). Since 3.12 every
 * thread state that gets attached is bound to its OS thread's GILState slot, so on a
 * thread that has a thread state of any interpreter PyGILState_Ensure re-attaches that
 * one; only a thread without one (started by the module or by a library) ends up in the
 * main interpreter. Re-creates CPython's _sqlite (user functions called inside
 * sqlite3_step on the Python thread), readline's pre-input hook (called inside readline()
 * on the thread that called it), _testinternalcapi's PyThread_start_new_thread worker and
 * a PortAudio-style stream callback, in its own words. The library APIs are declared here
 * (the real headers are not needed to scan).
 *
 * TP: SI008 in a thread start routine and in a helper it calls (pthread_create,
 *     PyThread_start_new_thread), in a callback handed to a library the rule knows nothing
 *     about, in one handed both to SQLite and to that library, and in an SQLite collation
 *     (its sorter may compare on worker threads).
 * TN: SI008 in SQLite user-function callbacks, a destructor (also handed to
 *     sqlite3_create_collation_v2 as its destructor, the 6th argument) and a readline
 *     hook, each reached only through those registrations (directly or through a helper).
 *
 * subcheck-expect-module: name=gilstate_thread_origin init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>
#include <pthread.h>

/* --- the libraries, as their headers declare them --- */
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_context sqlite3_context;
typedef struct sqlite3_value sqlite3_value;
int sqlite3_create_function_v2(sqlite3 *db, const char *name, int nargs, int flags, void *app,
                               void (*func)(sqlite3_context *, int, sqlite3_value **),
                               void (*step)(sqlite3_context *, int, sqlite3_value **),
                               void (*final)(sqlite3_context *), void (*destroy)(void *));
int sqlite3_create_collation_v2(sqlite3 *db, const char *name, int encoding, void *app,
                                int (*compare)(void *, int, const void *, int, const void *),
                                void (*destroy)(void *));
int sqlite3_progress_handler(sqlite3 *db, int every, int (*handler)(void *), void *app);
void *sqlite3_user_data(sqlite3_context *context);

typedef int hook_fn(void);
extern hook_fn *rl_pre_input_hook;

typedef struct audio_stream audio_stream;
typedef int audio_callback(const float *samples, unsigned long count, void *user);
int audio_open_stream(audio_stream **stream, audio_callback *callback, void *user);

/* --- SQLite: called back inside sqlite3_step(), on the thread running the statement --- */

static void
call_user_function(PyObject *callable)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect-not: SI008
    PyObject *result = PyObject_CallNoArgs(callable);
    Py_XDECREF(result);
    PyGILState_Release(gil);  // expect-not: SI008
}

static void
scalar_callback(sqlite3_context *context, int argc, sqlite3_value **argv)
{
    call_user_function((PyObject *)sqlite3_user_data(context));
}

static void
aggregate_step(sqlite3_context *context, int argc, sqlite3_value **argv)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect-not: SI008
    PyObject *result = PyObject_CallNoArgs((PyObject *)sqlite3_user_data(context));
    Py_XDECREF(result);
    PyGILState_Release(gil);  // expect-not: SI008
}

static void
forget_callable(void *app)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect-not: SI008
    Py_XDECREF((PyObject *)app);
    PyGILState_Release(gil);  // expect-not: SI008
}

/* A collation: SQLite's sorter may call it on worker threads of its own (PRAGMA threads). */
static int
compare_text(void *app, int left_size, const void *left, int right_size, const void *right)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect: SI008 "decided by sqlite3_create_collation_v2, which it is handed to at line" "its sorter compares keys, so calls the collation, on worker threads it starts"
    PyObject *result = PyObject_CallNoArgs((PyObject *)app);
    int order = result == NULL ? 0 : (int)PyLong_AsLong(result);
    Py_XDECREF(result);
    PyGILState_Release(gil);  // expect: SI008
    return order;
}

/* Handed to SQLite, and to a library that may call it from a thread of its own. */
static int
progress_tick(void *app)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect: SI008 "decided by audio_open_stream"
    int stop = PyErr_CheckSignals() < 0;
    PyGILState_Release(gil);  // expect: SI008
    return stop;
}

static PyObject *
register_functions(PyObject *module, PyObject *callable)
{
    sqlite3 *db = (sqlite3 *)PyModule_GetState(module);
    Py_INCREF(callable);
    sqlite3_create_function_v2(db, "scalar", -1, 1, callable, scalar_callback, NULL, NULL, &forget_callable);
    Py_INCREF(callable);
    sqlite3_create_function_v2(db, "total", 1, 1, callable, NULL, &aggregate_step, NULL, forget_callable);
    sqlite3_progress_handler(db, 1000, progress_tick, NULL);
    Py_INCREF(callable);
    sqlite3_create_collation_v2(db, "custom", 1, callable, compare_text, forget_callable);
    Py_RETURN_NONE;
}

/* --- readline: the hook runs inside readline(), on the thread that called it --- */

static int
on_pre_input(void)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect-not: SI008
    int failed = PyErr_CheckSignals();
    PyGILState_Release(gil);  // expect-not: SI008
    return failed;
}

static PyObject *
install_hook(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    rl_pre_input_hook = (hook_fn *)on_pre_input;
    Py_RETURN_NONE;
}

/* --- threads the module starts: no thread state there --- */

static void
run_job(PyObject *job)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect: SI008 "reached from job_thread, runs on a thread that PyThread_start_new_thread starts"
    PyObject *result = PyObject_CallNoArgs(job);
    Py_XDECREF(result);
    PyGILState_Release(gil);  // expect: SI008
}

static void
job_thread(void *arg)
{
    run_job((PyObject *)arg);
}

static void *
poller_main(void *arg)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect: SI008 "(in poller_main) runs on a thread that pthread_create starts"
    PyObject *result = PyObject_CallNoArgs((PyObject *)arg);
    Py_XDECREF(result);
    PyGILState_Release(gil);  // expect: SI008
    return NULL;
}

static PyObject *
start_threads(PyObject *module, PyObject *job)
{
    Py_INCREF(job);
    if (PyThread_start_new_thread(job_thread, job) == PYTHREAD_INVALID_THREAD_ID) {
        Py_DECREF(job);
        return PyErr_NoMemory();
    }
    pthread_t poller;
    Py_INCREF(job);
    if (pthread_create(&poller, NULL, poller_main, job) != 0) {
        Py_DECREF(job);
        return PyErr_NoMemory();
    }
    pthread_detach(poller);
    Py_RETURN_NONE;
}

/* --- a library that calls back from its own thread (an audio stream) --- */

static int
on_samples(const float *samples, unsigned long count, void *user)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect: SI008 "the thread on_samples runs on is decided by audio_open_stream"
    PyObject *result = PyObject_CallNoArgs((PyObject *)user);
    int status = result == NULL;
    Py_XDECREF(result);
    PyGILState_Release(gil);  // expect: SI008
    return status;
}

static PyObject *
open_stream(PyObject *module, PyObject *callable)
{
    audio_stream *stream = NULL;
    if (audio_open_stream(&stream, on_samples, callable) != 0) {
        return PyErr_NoMemory();
    }
    audio_open_stream(&stream, (audio_callback *)progress_tick, NULL);
    Py_RETURN_NONE;
}

static PyMethodDef origin_methods[] = {
    {"register_functions", register_functions, METH_O, NULL},
    {"install_hook", install_hook, METH_NOARGS, NULL},
    {"start_threads", start_threads, METH_O, NULL},
    {"open_stream", open_stream, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot origin_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef origin_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "gilstate_thread_origin",
    .m_size = 0,
    .m_methods = origin_methods,
    .m_slots = origin_slots,
};

PyMODINIT_FUNC
PyInit_gilstate_thread_origin(void)
{
    return PyModuleDef_Init(&origin_def);
}
