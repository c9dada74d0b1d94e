/* Deletes a neighbour module's .so and overwrites a file of the scanned tree (both named
 * by the test: a real attacker finds them beside itself). Issue 7, second row.
 *
 * subcheck-expect-module: name=hostile_vandal init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include "hostile.h"

static int attack(PyObject *module) {
    char neighbour[2048], target[2048];
    hostile_config(module, "neighbour", neighbour, sizeof neighbour);
    hostile_config(module, "target_file", target, sizeof target);
    if (neighbour[0]) unlink(neighbour);
    if (target[0]) hostile_write(target, "overwritten by a probed module\n");
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, attack},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "hostile_vandal", .m_size = 0, .m_slots = slots};

PyMODINIT_FUNC PyInit_hostile_vandal(void) { return PyModuleDef_Init(&def); }
