/* Reached only through message.c's method table: once message.c is the module's, so is
 * this file, and its findings count in _busclient's verdicts.
 *
 * compile exemption: see internal.h.
 */
#include "internal.h"

static PyObject *signature_cache;  // expect: SI004 "'signature_cache'"

PyObject *
busclient_message_append(PyObject *self, PyObject *args)
{
    if (signature_cache == NULL) {
        signature_cache = PyDict_New();  // expect: FT002 "'signature_cache'"
        if (signature_cache == NULL) {
            return NULL;
        }
    }
    Py_RETURN_NONE;
}
