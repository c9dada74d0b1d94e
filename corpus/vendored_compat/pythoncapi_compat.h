/* A stand-in for a vendored copy of pythoncapi-compat's header (written for this corpus,
 * not copied): the real one defines many static inline shims like this. */
#ifndef PYTHONCAPI_COMPAT
#define PYTHONCAPI_COMPAT
#include <Python.h>

static inline int
compat_is_unique(PyObject *obj)
{
    return Py_REFCNT(obj) == 1;
}
#endif
