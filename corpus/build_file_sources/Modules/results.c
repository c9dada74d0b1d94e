/* The only way into this unit is results_to_python, whose declaration clang refuses
 * (DIR_HANDLE is from the missing header). setup.py lists the file among _dirclient's
 * sources, and the call from dirclient.c names it: either way its findings are
 * _dirclient's, and they count in the module's verdicts.
 *
 * compile exemption: see common.h.
 */
#include "results.h"

static PyObject *last_results;  // expect: SI004 "'last_results'"

PyObject *
results_to_python(DIR_HANDLE *handle, int count)
{
    PyObject *list = PyList_New(0);
    if (list == NULL) {
        return NULL;
    }
    Py_XSETREF(last_results, Py_NewRef(list));  // expect: FT002 "'last_results'"  // expect-not: SI006
    return list;
}
