/* A message-bus binding whose library headers are not installed (re-created after
 * dbus-python's conn-methods.c without libdbus-1-dev): the table of callbacks an object
 * path is registered with has a type from the missing header, so its declaration does not
 * parse and it is no global in the facts, nor does the call that registers it. The file's
 * tokens still show both: `path_vtable = { on_unregister, on_message }`, and the table's
 * address among the arguments of dbus_connection_register_object_path. Each callback's
 * PyGILState calls are then reported with the API that decides their thread (libdbus's
 * dispatch), as for a callback handed on by name.
 *
 * TP: SI008 at the Ensure and Release calls of both callbacks, naming the registering call;
 *     SI001 and FT001 (single-phase, no PyUnstable_Module_SetGIL).
 *
 * compile exemption: bus_like_api.h does not exist, on purpose.
 * subcheck-allow-diagnostics: the message-bus library's header is missing
 * subcheck-expect-module: name=_bus_like init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>
#include "bus_like_api.h"

static void
on_unregister(DBusConnection *conn, void *data)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect: SI008 "dbus_connection_register_object_path"
    Py_XDECREF((PyObject *)data);
    PyGILState_Release(gil);  // expect: SI008
}

static DBusHandlerResult
on_message(DBusConnection *conn, DBusMessage *message, void *data)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect: SI008 "dbus_connection_register_object_path"
    PyObject *result = PyObject_CallNoArgs((PyObject *)data);
    Py_XDECREF(result);
    PyGILState_Release(gil);  // expect: SI008
    return DBUS_HANDLER_RESULT_HANDLED;
}

static const DBusObjectPathVTable path_vtable = {
    on_unregister,
    on_message,
};

static PyObject *
register_path(PyObject *self, PyObject *callable)
{
    DBusConnection *conn = bus_like_connection(self);
    dbus_bool_t ok;
    Py_BEGIN_ALLOW_THREADS
    ok = dbus_connection_register_object_path(conn, "/", &path_vtable, callable);
    Py_END_ALLOW_THREADS
    if (!ok) {
        return PyErr_NoMemory();
    }
    Py_INCREF(callable);
    Py_RETURN_NONE;
}

static PyMethodDef bus_like_methods[] = {
    {"register_path", register_path, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef bus_like_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_bus_like",
    .m_size = -1,
    .m_methods = bus_like_methods,
};

PyMODINIT_FUNC
PyInit__bus_like(void)  // expect: FT001
{
    return PyModule_Create(&bus_like_def);  // expect: SI001
}
