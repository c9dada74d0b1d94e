#include "common.h"

/* DIR_HANDLE comes from the missing dirlib.h: clang refuses this declaration, and a call
 * to it names no declaration in the AST. */
extern PyObject *results_to_python(DIR_HANDLE *handle, int count);
