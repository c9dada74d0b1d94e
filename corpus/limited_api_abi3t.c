/* A stable-ABI module that targets abi3t (PEP 803, CPython 3.15+), the stable ABI that
 * free-threaded builds load, and claims Py_MOD_GIL_NOT_USED. 3.15's pyabi.h spells the
 * opt-in Py_TARGET_ABI3T (0x030f0000 or above; it then defines Py_LIMITED_API itself, to
 * the lower value when both are set, plus the private _Py_OPAQUE_PYOBJECT). Unlike
 * limited_api_gil_free.c (plain abi3), the claim can be honoured: FT007 stays quiet.
 * See docs/cpython-behaviour.md #25. abi3t hides struct PyModuleDef (moduleobject.h,
 * under _Py_OPAQUE_PYOBJECT), so an abi3t module is defined by a PEP 793 export hook;
 * export_hook/pep793_compat.h supplies its declarations to pre-3.15 headers.
 *
 * Header independence: 3.12-3.14 headers ignore Py_TARGET_ABI3T, and 3.13t/3.14t stop
 * with an #error when Py_LIMITED_API meets Py_GIL_DISABLED. So with pre-3.15 headers the
 * free-threaded parse drops Py_LIMITED_API again (#undef, below) and this file parses
 * with 3.12/3.13 headers in both configurations. subcheck reads the #define and does not
 * follow the #undef, so the unit still counts as limited API and abi3t in every
 * configuration: the expect-not below tests the abi3t exemption, not a missing
 * Py_LIMITED_API.
 *
 * TN: FT007 (abi3t opt-in), FT001, SI001.
 *
 * subcheck-expect-module: name=limited_abi3t init=export multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#define Py_TARGET_ABI3T 0x030f0000   /* abi3t: loads on 3.15+, GIL and free-threaded */
#define Py_LIMITED_API 0x030f0000
#include <patchlevel.h>              /* PY_VERSION_HEX of the headers in use */
#include <pyconfig.h>                /* Py_GIL_DISABLED on 3.13t/3.14t */
#if PY_VERSION_HEX < 0x030f0000 && defined(Py_GIL_DISABLED)
#  undef Py_LIMITED_API               /* no stable ABI on 3.13t/3.14t */
#endif
#include "export_hook/pep793_compat.h"

static PyObject *
limited_abi3t_negate(PyObject *module, PyObject *arg)
{
    return PyNumber_Negative(arg);
}

static PyMethodDef limited_abi3t_methods[] = {
    {"negate", limited_abi3t_negate, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

#if PY_VERSION_HEX >= 0x030F0000
PyABIInfo_VAR(limited_abi3t_abi);
#endif

static PySlot limited_abi3t_slots[] = {  // expect-not: FT001
#if PY_VERSION_HEX >= 0x030F0000
    PySlot_DATA(Py_mod_abi, &limited_abi3t_abi),
#endif
    PySlot_DATA(Py_mod_name, "limited_abi3t"),
    PySlot_DATA(Py_mod_methods, limited_abi3t_methods),
    PySlot_DATA(Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED),
    PySlot_DATA(Py_mod_gil, Py_MOD_GIL_NOT_USED),
    PySlot_END,
};

PyMODEXPORT_FUNC
PyModExport_limited_abi3t(void)  // expect-not: FT007 SI001
{
    return limited_abi3t_slots;
}
