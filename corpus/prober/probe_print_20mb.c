/* Prints 20 MB to stdout when imported in the main interpreter, as a module with
 * debugging output left on does. The probe host keeps only the tail of a child's output:
 * the result says the output was truncated, and the import itself succeeds. (Only the main
 * interpreter's import prints, once per probe child: the stress probe's dozen imports in
 * subinterpreters would otherwise push a quarter of a gigabyte through the pipe and test
 * the machine's speed instead of the cap.)
 *
 * subcheck-expect-probe: interp=any subinterpreters=supported output=truncated
 * subcheck-expect-probe: interp=gil free_threading=not-tested
 * subcheck-expect-probe: interp=free-threaded free_threading=gil-free
 *
 * subcheck-expect-module: name=probe_print_20mb init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>
#include <stdio.h>
#include <string.h>

enum { LINE_LENGTH = 100, LINES = 200 * 1000 };  /* 20 MB */

static int
print_exec(PyObject *module)
{
    if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
        return PyModule_AddIntConstant(module, "printed_bytes", 0);
    }
    char line[LINE_LENGTH + 1];
    memset(line, 'x', LINE_LENGTH - 1);
    line[LINE_LENGTH - 1] = '\n';
    line[LINE_LENGTH] = '\0';
    for (long i = 0; i < LINES; i++) {
        if (fputs(line, stdout) == EOF) {
            break;  /* the reader went away: nothing more to say */
        }
    }
    fflush(stdout);
    return PyModule_AddIntConstant(module, "printed_bytes", (long)LINE_LENGTH * LINES);
}

static PyModuleDef_Slot print_slots[] = {
    {Py_mod_exec, print_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef print_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "probe_print_20mb",
    .m_size = 0,
    .m_slots = print_slots,
};

PyMODINIT_FUNC
PyInit_probe_print_20mb(void)
{
    return PyModuleDef_Init(&print_def);
}
