/* python-regex's pattern (_regex.c, `set_error`): a helper lazily creates a
 * process-global exception and is called both while the module initialises and from
 * its methods. Reachable from the exec slot does not make it initialisation-only: the
 * methods reach it too, at run time, in a module that declares Py_MOD_GIL_NOT_USED.
 *
 * TP: FT002 at the lazy write in the helper methods reach.
 * TN: FT002 for a helper only the exec slot and PyInit reach.
 *
 * subcheck-expect-module: name=ft_lazy_helper init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=unsupported free_threading=unsafe
 */
#include <Python.h>

static PyObject *error_exception = NULL;  // expect: SI006
static PyObject *version_string = NULL;  // expect: SI006

static void
set_error(const char *message)
{
    if (!error_exception) {
        error_exception = PyErr_NewException("ft_lazy_helper.error", NULL, NULL);  // expect: FT002 "'error_exception' is lazily initialised (in set_error)"
    }
    if (error_exception) {
        PyErr_SetString(error_exception, message);
    }
}

static int
make_version(void)
{
    if (!version_string) {
        version_string = PyUnicode_FromString("1.0");  // expect-not: FT002
    }
    return version_string == NULL ? -1 : 0;
}

static PyObject *
lazy_fail(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    set_error("failed");
    return NULL;
}

static PyMethodDef lazy_methods[] = {
    {"fail", lazy_fail, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static int
lazy_exec(PyObject *module)
{
    if (make_version() < 0) {
        set_error("no version");
        return -1;
    }
    return PyModule_AddObjectRef(module, "version", version_string);
}

static PyModuleDef_Slot lazy_slots[] = {
    {Py_mod_exec, lazy_exec},
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},  // expect: SI003
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef lazy_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "ft_lazy_helper",
    .m_size = 0,
    .m_methods = lazy_methods,
    .m_slots = lazy_slots,
};

PyMODINIT_FUNC
PyInit_ft_lazy_helper(void)
{
    if (make_version() < 0) {
        return NULL;
    }
    return PyModuleDef_Init(&lazy_def);
}
