/* Single-phase init, the legacy way (after CPython's Modules/_testsinglephase.c "basic"
 * case, rewritten): m_size = -1, state in C globals, two PyInit functions in one file
 * (one .so may export several, see docs/cpython-behaviour.md #15), each creating its module itself.
 * The C counters are written only while a PyInit runs, and with m_size = -1 CPython
 * runs each PyInit once per process (docs/cpython-behaviour.md #28): not SI010's run-time
 * writes (singlephase_init_once.c has run-time ones).
 *
 * subcheck-expect-module: name=sp_basic init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 * subcheck-expect-module: name=sp_basic_copy init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>
#include <time.h>

static PyObject *basic_error = NULL;  // expect: SI006
static double initialized_at = 0.0;  // expect-not: SI010
static long init_count = 0;  // expect-not: SI010

static PyObject *
basic_look_up_self(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return Py_NewRef(self);
}

static PyObject *
basic_initialized_at(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyFloat_FromDouble(initialized_at);
}

static PyObject *
basic_init_count(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(init_count);
}

static PyMethodDef basic_methods[] = {
    {"look_up_self", basic_look_up_self, METH_NOARGS, NULL},
    {"initialized_at", basic_initialized_at, METH_NOARGS, NULL},
    {"init_count", basic_init_count, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef basic_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "sp_basic",
    .m_doc = "single-phase module with process-global state",
    .m_size = -1,
    .m_methods = basic_methods,
};

static PyModuleDef basic_copy_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "sp_basic_copy",
    .m_size = -1,
    .m_methods = basic_methods,
};

/* Both modules share one exception object and one set of counters: exactly the
 * cross-interpreter leak single-phase init cannot avoid. */
static int
record_initialisation(PyObject *module)
{
    if (basic_error == NULL) {
        basic_error = PyErr_NewException("sp_basic.error", NULL, NULL);
        if (basic_error == NULL) {
            return -1;
        }
    }
    initialized_at = (double)time(NULL);
    init_count += 1;
    return PyModule_AddObjectRef(module, "error", basic_error);
}

PyMODINIT_FUNC
PyInit_sp_basic(void)  // expect: FT001
{
    PyObject *module = PyModule_Create(&basic_def);  // expect: SI001
    if (module == NULL) {
        return NULL;
    }
    if (record_initialisation(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}

PyMODINIT_FUNC
PyInit_sp_basic_copy(void)  // expect: FT001
{
    PyObject *module = PyModule_Create(&basic_copy_def);  // expect: SI001
    if (module == NULL) {
        return NULL;
    }
    if (record_initialisation(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
