/* compile exemption: see internal.h. */
#include "internal.h"

static PyMethodDef message_methods[] = {
    {"append", busclient_message_append, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

bus_bool_t
busclient_init_message_types(PyObject *module)
{
    PyObject *table = PyCFunction_New(&message_methods[0], module);
    if (table == NULL) {
        return 0;
    }
    return PyModule_AddObject(module, "append", table) == 0;
}
