/* corpus/prober/packages: an accelerator module, built twice by ../CMakeLists.txt, as
 * probe_fallback._accel (whose package falls back to pure Python when it cannot be imported,
 * as PyYAML does with yaml._yaml) and as probe_lazy._accel (whose package does not import
 * it at all). Single-phase init: every isolated subinterpreter refuses it
 * (docs/cpython-behaviour.md #3), so the package's own import decides what a user sees.
 * tests/prober_fallback_test.cpp probes both packages.
 *
 * subcheck-expect-module: name=_accel init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *accel_double(PyObject *self, PyObject *arg) {
    (void)self;
    return PyNumber_Add(arg, arg);
}

static PyMethodDef accel_methods[] = {
    {"double", accel_double, METH_O, "double(x) -> x + x, in C"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef accel_def = {PyModuleDef_HEAD_INIT, "_accel", NULL, -1, accel_methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC
PyInit__accel(void)  // expect: FT001
{
    return PyModule_Create(&accel_def);  // expect: SI001
}
