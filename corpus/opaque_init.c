/* A PyInit whose module comes from a function subcheck cannot see (defined in a library
 * outside the scanned tree). Neither PyModule_Create nor PyModuleDef_Init is in sight, so
 * the init style is unknown and so are both verdicts; no module-level rule fires on a
 * guess.
 *
 * TN: SI001, SI002, FT001 (nothing is known about the module's init).
 *
 * subcheck-expect-module: name=opaque init=unknown multiple_interpreters=absent gil=absent subinterpreters=unknown free_threading=unknown
 */
#include <Python.h>

/* Provided by libopaque.so, which is not part of this tree. */
extern PyObject *opaque_make_module(const char *name);

PyMODINIT_FUNC
PyInit_opaque(void)
{
    return opaque_make_module("opaque");
}
