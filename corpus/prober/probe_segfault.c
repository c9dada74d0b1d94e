/* Dies of SIGSEGV while being imported: PyInit writes through a wild pointer. The probe
 * child running the import dies with it; the run goes on and reports a crash with
 * signal 11, whichever probe ran first.
 *
 * subcheck-expect-probe: interp=gil subinterpreters=crash free_threading=not-tested signal=11
 * subcheck-expect-probe: interp=free-threaded subinterpreters=crash free_threading=crash signal=11
 *
 * subcheck-expect-module: name=probe_segfault init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>
#include <stdint.h>

static struct PyModuleDef segfault_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_segfault",
    .m_size = -1,
};

/* Read through a volatile so the compiler cannot prove the address null and replace the
 * store with a trap instruction (SIGILL, not the SIGSEGV this module is about). */
static volatile uintptr_t wild_address = 16;

PyMODINIT_FUNC
PyInit_probe_segfault(void)  // expect: FT001
{
    *(volatile int *)wild_address = 1;
    return PyModule_Create(&segfault_def);  // expect: SI001
}
