/* Never finishes importing: PyInit sleeps forever (holding the GIL, as a module waiting
 * on a lock it will never get does). Only the probe's wall-clock limit ends it: timeout.
 *
 * subcheck-expect-probe: interp=gil subinterpreters=timeout free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded subinterpreters=timeout free_threading=timeout
 *
 * subcheck-expect-module: name=probe_hang init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>
#include <unistd.h>

static struct PyModuleDef hang_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_hang",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit_probe_hang(void)  // expect: FT001
{
    for (;;) {
        sleep(60);
    }
    return PyModule_Create(&hang_def);  // expect: SI001
}
