/* A directory client's exception table whose library header is not installed (re-created
 * after python-ldap's Modules/constants.c without libldap2-dev): the table's size and every
 * index name the library's error codes, so each store `error_classes[DIR_##code + OFFSET] =
 * exc`, made by a project macro once per code, names something undeclared, and clang drops
 * the statement from the tree whole. The body's tokens, and the macro's, still show the
 * stores: the table is filled at import, once per process, as its sibling `base_error` is.
 *
 * TP: SI006 at `error_classes` (stored through the project macro) and at `last_error` (an
 *     index naming an undeclared code, in the body itself); SI006 at `base_error` (parsed).
 * TN: SI010 at `attempts` (the body only declares a local of the same name, `long attempts
 *     = DIR_RETRIES;`, and stores through `*hook`); SI006 at `hook` (only read).
 * Also SI001 (single-phase) and FT001 (no PyUnstable_Module_SetGIL).
 *
 * compile exemption: dir_errors_api.h does not exist, on purpose.
 * subcheck-allow-diagnostics: the directory library's header is missing
 * subcheck-expect-module: name=_dir_errors init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>
#include "dir_errors_api.h"

#define ERROR_OFFSET (-DIR_ERROR_MIN)

static PyObject *base_error;                                            // expect: SI006
static PyObject *error_classes[DIR_ERROR_MAX - DIR_ERROR_MIN + 1];      // expect: SI006
static PyObject *last_error[DIR_ERROR_MAX - DIR_ERROR_MIN + 1];         // expect: SI006
static long attempts;                                                   // expect-not: SI010
static PyObject **hook;                                                 // expect-not: SI006

#define add_error(code)                                                          \
    do {                                                                         \
        PyObject *exc = PyErr_NewException("_dir_errors." #code, base_error, NULL); \
        if (exc == NULL) {                                                       \
            return -1;                                                           \
        }                                                                        \
        error_classes[DIR_##code + ERROR_OFFSET] = exc;                          \
    } while (0)

static int
add_error_classes(PyObject *module)
{
    long attempts = DIR_RETRIES;
    base_error = PyErr_NewException("_dir_errors.DirError", NULL, NULL);
    if (base_error == NULL) {
        return -1;
    }
    add_error(NO_SUCH_OBJECT);
    add_error(BUSY);
    last_error[DIR_OTHER + ERROR_OFFSET] = base_error;
    if (hook != NULL && attempts > 0) {
        *hook = base_error;
    }
    return PyModule_AddObjectRef(module, "DirError", base_error);
}

static struct PyModuleDef dir_errors_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_dir_errors",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__dir_errors(void)  // expect: FT001
{
    PyObject *module = PyModule_Create(&dir_errors_def);  // expect: SI001
    if (module == NULL) {
        return NULL;
    }
    if (add_error_classes(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
