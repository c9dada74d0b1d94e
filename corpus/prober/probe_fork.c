/* Forks while being imported (a module starting a helper process, or probing the
 * platform, from its exec function) and reaps the child, which _exits at once. The
 * probe child must not mistake the grandchild's exit, or the inherited pipe ends it
 * closes, for its own end: the import succeeds and the module is otherwise isolated.
 *
 * subcheck-expect-probe: interp=any subinterpreters=supported
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=gil-free
 *
 * subcheck-expect-module: name=probe_fork init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>
#include <errno.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int
fork_exec(PyObject *module)
{
    pid_t child = fork();
    if (child < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    if (child == 0) {
        _exit(0);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            PyErr_SetFromErrno(PyExc_OSError);
            return -1;
        }
    }
    return PyModule_AddIntConstant(module, "helper_status", status);
}

static PyModuleDef_Slot fork_slots[] = {
    {Py_mod_exec, fork_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef fork_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_fork",
    .m_size = 0,
    .m_slots = fork_slots,
};

PyMODINIT_FUNC
PyInit_probe_fork(void)
{
    return PyModuleDef_Init(&fork_def);
}
