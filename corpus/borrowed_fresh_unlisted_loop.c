/* A directory client's result converter whose library headers are not installed (re-created
 * after python-ldap's Modules/message.c without libldap2-dev): `dir_entry *entry` has an
 * unknown type, and libclang then leaves the whole `for (entry = ...)` statement out of the
 * function's children, so the calls in its body are seen only as tokens. The dict each
 * iteration makes (`attrs = PyDict_New ()`) is looked up before it is put into the result
 * tuple: no other thread can reach it, and the token fallback says so. A dict handed to
 * another object (`, attrs` as a later argument) before the lookup, or one that came from the
 * caller, is still reported.
 *
 * TP: FT003 on a dict published into the result list before the lookup, and on the caller's
 * dict, both inside the unlisted loop.
 * TN: FT003 on the iteration's fresh dict, only tested and passed as a first argument before
 * the lookup.
 *
 * compile exemption: dir_client_api.h does not exist, on purpose.
 * subcheck-allow-diagnostics: the directory library's header is missing
 * subcheck-expect-module: name=_dir_like init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>
#include "dir_client_api.h"

static PyObject *
dir_entries_to_python(dir_conn *conn, dir_message *message, PyObject *defaults)
{
    PyObject *result = PyList_New(0);
    dir_entry *entry;
    if (result == NULL) {
        return NULL;
    }
    for (entry = dir_first_entry(conn, message); entry != NULL; entry = dir_next_entry(conn, entry)) {
        PyObject *attrs;
        PyObject *shared;
        PyObject *name = PyUnicode_FromString(dir_entry_name(entry));
        attrs = PyDict_New();
        if (attrs == NULL || name == NULL) {
            Py_XDECREF(name);
            Py_DECREF(result);
            return NULL;
        }
        if (PyDict_Contains(attrs, name)) {
            PyObject *values = PyDict_GetItem(attrs, name);  // expect-not: FT003
            Py_XINCREF(values);
            Py_XDECREF(values);
        }
        shared = PyDict_New();
        if (shared == NULL || PyList_Append(result, shared) < 0) {
            Py_XDECREF(shared);
            Py_DECREF(attrs);
            Py_DECREF(name);
            Py_DECREF(result);
            return NULL;
        }
        PyObject *seen = PyDict_GetItem(shared, name);  // expect: FT003
        PyObject *fallback = PyDict_GetItem(defaults, name);  // expect: FT003
        PyObject *row = Py_BuildValue("(OOOO)", name, attrs, seen ? seen : Py_None, fallback ? fallback : Py_None);
        Py_DECREF(shared);
        Py_DECREF(attrs);
        Py_DECREF(name);
        if (row == NULL || PyList_Append(result, row) < 0) {
            Py_XDECREF(row);
            Py_DECREF(result);
            return NULL;
        }
        Py_DECREF(row);
    }
    return result;
}

static PyObject *
dir_convert(PyObject *module, PyObject *defaults)
{
    return dir_entries_to_python(dir_default_conn(), dir_last_message(), defaults);
}

static PyMethodDef dir_methods[] = {
    {"convert", dir_convert, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot dir_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static PyModuleDef dir_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_dir_like",
    .m_size = 0,
    .m_methods = dir_methods,
    .m_slots = dir_slots,
};

PyMODINIT_FUNC
PyInit__dir_like(void)
{
    return PyModuleDef_Init(&dir_def);
}
