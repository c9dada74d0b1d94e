/* Calls abort() while being imported, as a failed assert() or glibc's heap checks do
 * (docs/cpython-behaviour.md #7): the probe child dies of SIGABRT, signal 6.
 *
 * subcheck-expect-probe: interp=gil subinterpreters=crash free_threading=not-tested signal=6
 * subcheck-expect-probe: interp=free-threaded subinterpreters=crash free_threading=crash signal=6
 *
 * subcheck-expect-module: name=probe_abort init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>
#include <stdlib.h>

static struct PyModuleDef abort_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_abort",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit_probe_abort(void)  // expect: FT001
{
    abort();
    return PyModule_Create(&abort_def);  // expect: SI001
}
