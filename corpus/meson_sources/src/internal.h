/* compile exemption: buslib.h (the bus library's header) is not installed, on purpose. */
#include <Python.h>
#include <buslib.h>

/* bus_bool_t comes from the missing buslib.h: clang refuses these declarations. */
extern bus_bool_t busclient_init_message_types(PyObject *module);
extern PyObject *busclient_message_append(PyObject *self, PyObject *args);
