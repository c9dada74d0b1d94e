/* A cache only the main interpreter fills and reads: a predicate compares the current
 * interpreter with PyInterpreterState_Main(), and every use of the cache sits behind it,
 * directly or through a local holding its result. Other interpreters look the object up on
 * every call, so the global never holds another interpreter's object (SI006) nor changes
 * what they see (SI010). The pattern is psycopg2's cached Decimal type.
 *
 * TN: SI006 at `fraction_type` (a function static, gated through a local) and at
 *     `main_codec` (gated by the comparison itself); SI010 at `main_lookups`.
 * TP: SI006 at `other_type`, filled in the else branch (every other interpreter); at
 *     `half_gated`, stored behind the gate but read outside it; at `negated`, stored when
 *     the interpreter is *not* the main one.
 * Also SI001 (single-phase) and FT001 (no Py_mod_gil on a single-phase module).
 *
 * subcheck-expect-module: name=main_cache init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

static PyObject *main_codec;   // expect-not: SI006
static long main_lookups;      // expect-not: SI010
static PyObject *other_type;   // expect: SI006
static PyObject *half_gated;   // expect: SI006
static PyObject *negated;      // expect: SI006

static int
running_in_main_interpreter(void)
{
    return PyInterpreterState_Get() == PyInterpreterState_Main();
}

static PyObject *
fraction_type(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    static PyObject *cached = NULL;  // expect-not: SI006
    int may_cache = running_in_main_interpreter();
    if (may_cache && cached != NULL) {
        return Py_NewRef(cached);
    }
    PyObject *fractions = PyImport_ImportModule("fractions");
    if (fractions == NULL) {
        return NULL;
    }
    PyObject *type = PyObject_GetAttrString(fractions, "Fraction");
    Py_DECREF(fractions);
    if (may_cache && cached == NULL && type != NULL) {
        cached = Py_NewRef(type);
    }
    return type;
}

static PyObject *
codec(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (PyInterpreterState_Get() == PyInterpreterState_Main()) {
        main_lookups++;
        if (main_codec == NULL) {
            main_codec = PyImport_ImportModule("codecs");
        }
        return Py_XNewRef(main_codec);
    }
    else {
        other_type = PyImport_ImportModule("codecs");
        return Py_XNewRef(other_type);
    }
}

static PyObject *
remember(PyObject *module, PyObject *value)
{
    if (running_in_main_interpreter()) {
        Py_XSETREF(half_gated, Py_NewRef(value));
    }
    if (!running_in_main_interpreter()) {
        Py_XSETREF(negated, Py_NewRef(value));
    }
    Py_RETURN_NONE;
}

static PyObject *
recall(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return Py_XNewRef(half_gated);
}

static PyMethodDef main_cache_methods[] = {
    {"fraction_type", fraction_type, METH_NOARGS, NULL},
    {"codec", codec, METH_NOARGS, NULL},
    {"remember", remember, METH_O, NULL},
    {"recall", recall, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef main_cache_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "main_cache",
    .m_size = -1,
    .m_methods = main_cache_methods,
};

PyMODINIT_FUNC
PyInit_main_cache(void)  // expect: FT001
{
    return PyModule_Create(&main_cache_def);  // expect: SI001
}
