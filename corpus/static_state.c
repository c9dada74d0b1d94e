/* The classic pre-3.12 extension: static types and process-global state. Every global
 * below is shared by all interpreters in the process.
 *
 * TP: SI005 (two static types and a statically allocated object), SI006 (file-scope exception object, array and struct
 * of Python objects, a function-static interned string), SI010 (a counter a method updates).
 * TN: SI005 for an immortal constant (PyObject_HEAD_INIT with its type, never written);
 * SI010 for a non-const table that is only read; for a flag and a C table written
 * only while PyInit runs, which with m_size = -1 is once per process
 * (docs/cpython-behaviour.md #28); const data; a function-static kwlist; the
 * PyMethodDef/PyModuleDef tables; SI004 (nothing is claimed).
 *
 * subcheck-expect-module: name=static_state init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>
#include <math.h>

typedef struct {
    PyObject_HEAD
    double x, y;
} PointObject;

static PyTypeObject PointType = {  // expect: SI005  // expect-not: SI004
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "static_state.Point",
    .tp_basicsize = sizeof(PointObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = PyType_GenericNew,
};

static PyTypeObject Point3Type = {  // expect: SI005
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "static_state.Point3",
    .tp_basicsize = sizeof(PointObject) + sizeof(double),
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

/* A statically allocated object whose type is set at run time (PyObject_HEAD_INIT(NULL),
 * then Py_SET_TYPE): shared by every interpreter like a static type, and written. */
typedef struct {
    PyObject_HEAD
    long value;
} SentinelObject;
static SentinelObject sentinel = {PyObject_HEAD_INIT(NULL) 0};  // expect: SI005

/* An immortal constant, as CPython's _datetime keeps `zero_delta`: PyObject_HEAD_INIT with
 * its type makes it immortal from 3.12 (the first version with isolated subinterpreters)
 * and nothing writes it, so every interpreter may share it like Py_None. Its type is
 * reported on its own. */
static PointObject origin_point = {PyObject_HEAD_INIT(&PointType) 0.0, 0.0};  // expect-not: SI005

static PyObject *StaticStateError;  // expect: SI006 "process-global Python object 'StaticStateError'"
static PyObject *small_numbers[4];  // expect: SI006
static struct {
    PyObject *origin;
    PyObject *unit;
} constants;  // expect: SI006 "process-global variable holding Python objects 'constants'"

static unsigned long points_made = 0;  // expect: SI010
static int initialised = 0;  // expect-not: SI010
static double sine_table[16];  // expect-not: SI010

static int primes[] = {2, 3, 5, 7, 11, 13};
static const char *const axis_names[] = {"x", "y", "z"};
static const double tau = 6.283185307179586;

static PyObject *
static_state_make_point(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"x", "y", NULL};
    double x = 0.0, y = 0.0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|dd", kwlist, &x, &y)) {
        return NULL;
    }
    PointObject *point = PyObject_New(PointObject, &PointType);
    if (point == NULL) {
        return NULL;
    }
    point->x = x;
    point->y = y;
    points_made++;
    return (PyObject *)point;
}

static PyObject *
static_state_axis(PyObject *module, PyObject *arg)
{
    static PyObject *axis_key = NULL;  // expect: SI006
    if (axis_key == NULL) {
        axis_key = PyUnicode_InternFromString("axis");
        if (axis_key == NULL) {
            return NULL;
        }
    }
    long index = PyLong_AsLong(arg);
    if (index < 0 || index > 2) {
        PyErr_SetString(StaticStateError, "axis out of range");
        return NULL;
    }
    return Py_BuildValue("(Os)", axis_key, axis_names[index]);
}

static PyObject *
static_state_prime(PyObject *module, PyObject *arg)
{
    long index = PyLong_AsLong(arg);
    if (index < 0 || index >= (long)(sizeof(primes) / sizeof(primes[0]))) {
        PyErr_SetString(StaticStateError, "no such prime");
        return NULL;
    }
    return PyLong_FromLong(primes[index]);
}

static PyObject *
static_state_sine(PyObject *module, PyObject *arg)
{
    long index = PyLong_AsLong(arg);
    return PyFloat_FromDouble(sine_table[index & 15]);
}

static PyMethodDef static_state_methods[] = {
    {"make_point", (PyCFunction)(void (*)(void))static_state_make_point, METH_VARARGS | METH_KEYWORDS, NULL},
    {"axis", static_state_axis, METH_O, NULL},
    {"prime", static_state_prime, METH_O, NULL},
    {"sine", static_state_sine, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef static_state_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "static_state",
    .m_size = -1,
    .m_methods = static_state_methods,
};

static int
fill_tables(void)
{
    for (int i = 0; i < 16; i++) {
        sine_table[i] = sin(tau * i / 16);
    }
    for (int i = 0; i < 4; i++) {
        small_numbers[i] = PyLong_FromLong(i);
        if (small_numbers[i] == NULL) {
            return -1;
        }
    }
    constants.origin = Py_BuildValue("(dd)", 0.0, 0.0);
    constants.unit = PyFloat_FromDouble(1.0);
    return (constants.origin && constants.unit) ? 0 : -1;
}

PyMODINIT_FUNC
PyInit_static_state(void)  // expect: FT001
{
    if (PyType_Ready(&PointType) < 0) {
        return NULL;
    }
    Point3Type.tp_base = &PointType;
    if (PyType_Ready(&Point3Type) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&static_state_def);  // expect: SI001
    if (module == NULL) {
        return NULL;
    }
    StaticStateError = PyErr_NewException("static_state.error", NULL, NULL);
    if (StaticStateError == NULL || fill_tables() < 0) {
        Py_DECREF(module);
        return NULL;
    }
    initialised = 1;
    if (PyModule_AddObjectRef(module, "error", StaticStateError) < 0 ||
        PyModule_AddObjectRef(module, "Point", (PyObject *)&PointType) < 0 ||
        PyModule_AddObjectRef(module, "Point3", (PyObject *)&Point3Type) < 0 ||
        PyModule_AddObjectRef(module, "ORIGIN", (PyObject *)&origin_point) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
