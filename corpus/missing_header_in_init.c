/* Three modules of one file whose system library header is not installed (re-created
 * after python-systemd's _reader and id128 without libsystemd-dev). Each shows one way a
 * missing header can or cannot hide how a module initialises:
 *
 * - journal_like: PyInit itself uses the header's constants (parse errors inside PyInit),
 *   but it still plainly calls PyModule_Create(&journal_def): single-phase.
 * - journal_slots_like: multi-phase; the header's types break a method, not the def or
 *   its slots: what the slots declare is known.
 * - id128_like: the module is created by a macro from the missing header, so nothing
 *   says how it initialises: unknown, reported as such (an unknown-module diagnostic
 *   naming the header), never a silent pass.
 *
 * compile exemption: journal_like/journal.h does not exist, on purpose.
 * subcheck-allow-diagnostics: the journal library's header is missing
 * subcheck-expect-module: name=journal_like init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 * subcheck-expect-module: name=journal_slots_like init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 * subcheck-expect-module: name=id128_like init=unknown multiple_interpreters=unknown gil=unknown subinterpreters=unknown free_threading=unknown
 */
#include <Python.h>
#include <journal_like/journal.h>

typedef struct {
    PyObject_HEAD
    sd_journal_like *journal;
} Reader;

static PyObject *
reader_next(Reader *self, PyObject *Py_UNUSED(ignored))
{
    int r = sd_journal_like_next(self->journal);
    if (r < 0) {
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    return PyBool_FromLong(r > 0);
}

static PyMethodDef journal_methods[] = {
    {"next", (PyCFunction)reader_next, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef journal_def = {
    PyModuleDef_HEAD_INIT, "journal_like", NULL, -1, journal_methods,
};

PyMODINIT_FUNC
PyInit_journal_like(void)  // expect: FT001
{
    PyObject *m = PyModule_Create(&journal_def);  // expect: SI001
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "NOP", SD_JOURNAL_LIKE_NOP) < 0 ||
        PyModule_AddIntConstant(m, "APPEND", SD_JOURNAL_LIKE_APPEND) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

static int
journal_slots_exec(PyObject *m)
{
    return PyModule_AddFunctions(m, journal_methods);
}

static PyModuleDef_Slot journal_slots[] = {
    {Py_mod_exec, journal_slots_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef journal_slots_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "journal_slots_like",
    .m_size = 0,
    .m_slots = journal_slots,
};

PyMODINIT_FUNC
PyInit_journal_slots_like(void)
{
    return PyModuleDef_Init(&journal_slots_def);
}

static struct PyModuleDef id128_def = {
    PyModuleDef_HEAD_INIT, "id128_like", NULL, -1, NULL,
};

PyMODINIT_FUNC
PyInit_id128_like(void)
{
    /* SD_LIKE_MODULE_CREATE comes from the missing header. */
    return SD_LIKE_MODULE_CREATE(&id128_def);
}
