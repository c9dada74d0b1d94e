/* OpenSSL's own header (libssl-dev, which the set-up installs): its callback setters are
 * macros over library calls, so the call a callback is handed to is spelled in the
 * library's header, not here. CPython's _ssl sets its SNI callback so (SI008). The
 * function handed on is still the module's, and the call still runs it inside the
 * handshake, on the thread making it (docs/cpython-behaviour.md #29).
 *
 * TN: SI008 in a server-name callback handed to OpenSSL through the header's macro.
 * TP: SI008 in a callback handed to the thread a module starts (pthread_create), for contrast.
 *
 * subcheck-expect-module: name=gilstate_openssl_header init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>
#include <openssl/ssl.h>
#include <pthread.h>

static int
servername_callback(SSL *ssl, int *alert, void *arg)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect-not: SI008
    int failed = PyErr_CheckSignals();
    PyGILState_Release(gil);  // expect-not: SI008
    return failed ? SSL_TLSEXT_ERR_ALERT_FATAL : SSL_TLSEXT_ERR_OK;
}

static void *
handshake_watchdog(void *arg)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect: SI008 "pthread_create"
    int failed = PyErr_CheckSignals();
    PyGILState_Release(gil);  // expect: SI008
    return failed ? arg : NULL;
}

static PyObject *
set_sni(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    SSL_CTX *ctx = *(SSL_CTX **)PyModule_GetState(module);
    SSL_CTX_set_tlsext_servername_callback(ctx, servername_callback);
    pthread_t watchdog;
    if (pthread_create(&watchdog, NULL, handshake_watchdog, NULL) == 0) {
        pthread_detach(watchdog);
    }
    Py_RETURN_NONE;
}

static PyMethodDef sni_methods[] = {
    {"set_sni", set_sni, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot sni_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef sni_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "gilstate_openssl_header",
    .m_size = sizeof(SSL_CTX *),
    .m_methods = sni_methods,
    .m_slots = sni_slots,
};

PyMODINIT_FUNC
PyInit_gilstate_openssl_header(void)
{
    return PyModuleDef_Init(&sni_def);
}
