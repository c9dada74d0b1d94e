/* Reached only through the callback table in init.c (pyaudio's stream_io.c pattern):
 * nothing here calls or is called by the module's functions directly, yet its findings
 * are the module's.
 */
#include "stream.h"

int
stream_on_data(void *user, const char *data, Py_ssize_t size)
{
    PyGILState_STATE gstate = PyGILState_Ensure();  // expect: SI008
    PyObject *bytes = PyBytes_FromStringAndSize(data, size);
    PyObject *result = bytes ? PyObject_CallOneArg((PyObject *)user, bytes) : NULL;
    Py_XDECREF(bytes);
    int status = result ? 0 : -1;
    Py_XDECREF(result);
    PyGILState_Release(gstate);  // expect: SI008
    return status;
}
