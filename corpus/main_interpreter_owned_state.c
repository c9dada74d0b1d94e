/* Process state the main interpreter owns: opening and closing the log change the C
 * library's one process-wide log, so both refuse every other interpreter with an early
 * return, and only then set the flag. Other interpreters read the flag (to refuse logging
 * before the main interpreter opened it) but never write it, so no interpreter's setting
 * changes what the main one decided. The pattern is CPython's syslog module.
 *
 * TN: SI010 at `log_open` (written after `if (!is_main()) { ...; return NULL; }` in both
 *     writers, read everywhere).
 * TP: SI010 at `opened_before_check` (written before the early return); at
 *     `written_after_label` (the write follows a label the other interpreters' goto
 *     reaches); at `written_by_others` (the early return is the main interpreter's, so the
 *     others write). SI004 at `log_ident`: a Python object only the main interpreter
 *     stores, which every interpreter reads and increfs, in a module that declares a GIL
 *     of its own per interpreter; the fix names the function that uses it ungated (module
 *     state is no place for what the C library holds for the whole process).
 * Also FT001 (no Py_mod_gil slot).
 *
 * subcheck-expect-module: name=owned_log init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=absent subinterpreters=unsafe free_threading=requires-gil
 */
#include <Python.h>

static char log_open = 0;             // expect-not: SI010
static long opened_before_check = 0;  // expect: SI010
static int written_after_label = 0;   // expect: SI010
static int written_by_others = 0;     // expect: SI010
static PyObject *log_ident = NULL;    // expect: SI004 "other interpreters still use its object (in emit)"

static int
is_main_interpreter(void)
{
    return PyInterpreterState_Get() == PyInterpreterState_Main();
}

static PyObject *
open_log(PyObject *module, PyObject *ident)
{
    opened_before_check++;
    if (!is_main_interpreter()) {
        PyErr_SetString(PyExc_RuntimeError, "only the main interpreter opens the log");
        return NULL;
    }
    log_open = 1;
    Py_XSETREF(log_ident, Py_NewRef(ident));
    Py_RETURN_NONE;
}

static PyObject *
close_log(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
        PyErr_SetString(PyExc_RuntimeError, "only the main interpreter closes the log");
        return NULL;
    }
    if (log_open) {
        Py_CLEAR(log_ident);
        log_open = 0;
    }
    Py_RETURN_NONE;
}

static PyObject *
emit(PyObject *module, PyObject *message)
{
    if (!log_open) {
        PyErr_SetString(PyExc_RuntimeError, "the main interpreter has not opened the log");
        return NULL;
    }
    PyObject *ident = Py_XNewRef(log_ident);
    Py_XDECREF(ident);
    Py_RETURN_NONE;
}

static PyObject *
reopen(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (!is_main_interpreter()) {
        goto refuse;
    }
    Py_RETURN_NONE;
refuse:
    written_after_label = 1;
    PyErr_SetString(PyExc_RuntimeError, "refused");
    return NULL;
}

static PyObject *
count_others(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    if (is_main_interpreter()) {
        Py_RETURN_NONE;
    }
    written_by_others++;
    Py_RETURN_NONE;
}

static PyMethodDef owned_log_methods[] = {
    {"open_log", open_log, METH_O, NULL},
    {"close_log", close_log, METH_NOARGS, NULL},
    {"emit", emit, METH_O, NULL},
    {"reopen", reopen, METH_NOARGS, NULL},
    {"count_others", count_others, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot owned_log_slots[] = {  // expect: FT001
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {0, NULL},
};

static struct PyModuleDef owned_log_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "owned_log",
    .m_size = 0,
    .m_methods = owned_log_methods,
    .m_slots = owned_log_slots,
};

PyMODINIT_FUNC
PyInit_owned_log(void)
{
    return PyModuleDef_Init(&owned_log_def);
}
