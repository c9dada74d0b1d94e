/* CPython 3.15's export-hook declarations (PEP 793; Include/slots.h, Include/exports.h,
 * Include/slots_generated.h; docs/cpython-behaviour.md #22), spelled as 3.15 spells
 * them, so that this target reads the same with 3.13 and 3.14 headers. With 3.15's own
 * headers nothing here is defined: the modules then use the real declarations, whose
 * module slot ids differ (Py_mod_gil 87, not 4); subcheck reads both numberings. */
#ifndef PEP793_COMPAT_H
#define PEP793_COMPAT_H

#include <Python.h>
#include <stdint.h>

#if PY_VERSION_HEX < 0x030F0000
typedef void (*compat_funcptr)(void);

typedef struct PySlot {
    uint16_t sl_id;
    uint16_t sl_flags;
    union {
        uint32_t sl_reserved;
    };
    union {
        void *sl_ptr;
        compat_funcptr sl_func;
        Py_ssize_t sl_size;
        int64_t sl_int64;
        uint64_t sl_uint64;
    };
} PySlot;

#define PySlot_INTPTR 0x0004
#define PySlot_DATA(NAME, VALUE) {.sl_id = (NAME), .sl_flags = PySlot_INTPTR, .sl_ptr = (void *)(VALUE)}
#define PySlot_FUNC(NAME, VALUE) {.sl_id = (NAME), .sl_func = (compat_funcptr)(VALUE)}
#define PySlot_SIZE(NAME, VALUE) {.sl_id = (NAME), .sl_size = (Py_ssize_t)(VALUE)}
#define PySlot_END {0, 0, {0}, {NULL}}

#define Py_mod_name 100
#define Py_mod_doc 101
#define Py_mod_state_size 102
#define Py_mod_methods 103

#define PyMODEXPORT_FUNC __attribute__((visibility("default"))) PySlot *
#endif

#endif
