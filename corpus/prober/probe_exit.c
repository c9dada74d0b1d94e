/* Calls exit(3) while being imported, as code that "handles" a missing dependency by
 * quitting does. The probe child exits with code 3 before writing its result: evidence
 * outcome `exit`, exit code 3. No signal killed it, so it is no crash; the import in the
 * main interpreter never completed, so the module is broken.
 *
 * subcheck-expect-probe: interp=gil subinterpreters=broken free_threading=not-tested exit_code=3
 * subcheck-expect-probe: interp=free-threaded subinterpreters=broken free_threading=broken exit_code=3
 *
 * subcheck-expect-module: name=probe_exit init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>
#include <stdlib.h>

static struct PyModuleDef exit_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_exit",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit_probe_exit(void)  // expect: FT001
{
    exit(3);
    return PyModule_Create(&exit_def);  // expect: SI001
}
