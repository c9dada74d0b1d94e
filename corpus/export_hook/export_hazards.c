/* A module defined by 3.15's export hook whose slot array lives in another file
 * (export_hazards_slots.c, reached through an `extern` declaration) and declares neither
 * Py_mod_multiple_interpreters nor Py_mod_gil. CPython applies the multi-phase defaults
 * to export hooks too (docs/cpython-behaviour.md #1, #10, #22): shared-GIL only, and the
 * GIL comes back on a free-threaded build. The module also keeps a Python object in a
 * process-global variable.
 *
 * TP: SI002 and FT001 at the slot array (in the other file), SI006 at the global.
 *
 * subcheck-expect-module: name=export_hazards init=export multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 */
#include "pep793_compat.h"

extern PySlot export_hazards_slots[];

PyMODEXPORT_FUNC
PyModExport_export_hazards(void)
{
    return export_hazards_slots;
}
