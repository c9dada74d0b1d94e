/* SI010 in a single-phase module with m_size >= 0: CPython runs its PyInit again in every
 * interpreter that imports it (and on every import after the module left sys.modules), so
 * what initialisation writes is rewritten (docs/cpython-behaviour.md #28). The module
 * declares Py_MOD_GIL_NOT_USED for the free-threaded build: there its threads run without
 * the GIL and race on what its methods write.
 *
 * TP: SI010 at `init_runs` (PyInit writes it, in each interpreter); at `hits` with the
 *     free-threaded race in the message, and FT002 at the write; at `verbose`, set by a
 *     method, and FT002 there, whose advice is a lock or a narrower home; SI006 at
 *     `empty_args`, created lazily by a method, and FT002 there, whose advice names PyInit
 *     (the module has no exec function).
 * Also SI001: single-phase.
 *
 * subcheck-expect-module: name=per_interp_init init=single-phase multiple_interpreters=absent gil=Py_MOD_GIL_NOT_USED subinterpreters=unsupported free_threading=unsafe
 */
#include <Python.h>

static int init_runs;  // expect: SI010 "(in PyInit_per_interp_init)"
static long hits;      // expect: SI010 "threads of a free-threaded build race on it"
static int verbose;    // expect: SI010
static PyObject *empty_args;  // expect: SI006

static PyObject *
per_interp_hit(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    hits += 1;  // expect: FT002
    return PyLong_FromLong(hits + init_runs);
}

static PyObject *
per_interp_set_verbose(PyObject *module, PyObject *flag)
{
    verbose = PyObject_IsTrue(flag);  // expect: FT002 "Guard every access with a PyMutex (or make it atomic), or keep it per call or per object"
    if (empty_args == NULL) {
        empty_args = PyTuple_New(0);  // expect: FT002 "Initialise it in PyInit_per_interp_init, or guard it"
    }
    Py_RETURN_NONE;
}

static PyMethodDef per_interp_methods[] = {
    {"hit", per_interp_hit, METH_NOARGS, NULL},
    {"set_verbose", per_interp_set_verbose, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef per_interp_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "per_interp_init",
    .m_size = 0,
    .m_methods = per_interp_methods,
};

PyMODINIT_FUNC
PyInit_per_interp_init(void)
{
    init_runs++;
    PyObject *module = PyModule_Create(&per_interp_def);  // expect: SI001
#ifdef Py_GIL_DISABLED
    if (module != NULL) {
        PyUnstable_Module_SetGIL(module, Py_MOD_GIL_NOT_USED);
    }
#endif
    return module;
}
