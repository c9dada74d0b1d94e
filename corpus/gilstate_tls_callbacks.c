/* TLS callbacks as CPython's _ssl registers them (SI008), in its own words: OpenSSL calls
 * them inside the SSL_* call that needs them (the handshake, a read, a write), on the
 * Python thread making that call, which keeps its thread state bound to the GILState slot
 * while it waits with the GIL released (docs/cpython-behaviour.md #29). The PSK callback
 * is chosen into a local variable first and the local handed to OpenSSL afterwards; the
 * server-name callback goes through a macro and a cast, as OpenSSL's headers spell it. The
 * library is declared here (the real headers are not needed to scan).
 *
 * TP: SI008 in a callback stored in a local and then handed to a library the rule does not
 *     know (the message names that library, not the local).
 * TN: SI008 in the PSK, message and server-name callbacks, each reached only through
 *     OpenSSL's registration APIs.
 *
 * subcheck-expect-module: name=gilstate_tls_callbacks init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

/* --- OpenSSL, as its headers declare it --- */
typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef unsigned int (*SSL_psk_client_cb_func)(SSL *ssl, const char *hint, char *identity,
                                               unsigned int max_identity_len, unsigned char *psk,
                                               unsigned int max_psk_len);
void SSL_CTX_set_psk_client_callback(SSL_CTX *ctx, SSL_psk_client_cb_func cb);
void SSL_CTX_set_msg_callback(SSL_CTX *ctx,
                              void (*cb)(int write_p, int version, int content_type, const void *buf,
                                         size_t len, SSL *ssl, void *arg));
long SSL_CTX_callback_ctrl(SSL_CTX *ctx, int cmd, void (*fp)(void));
#define SSL_CTRL_SET_TLSEXT_SERVERNAME_CB 53
#define SSL_CTX_set_tlsext_servername_callback(ctx, cb) \
    SSL_CTX_callback_ctrl(ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, (void (*)(void))(cb))

/* A library the rule knows nothing about: it may call from a thread of its own. */
typedef void (*event_fn)(void *user);
int watcher_register(void *watcher, event_fn fn, void *user);

static unsigned int
psk_client_callback(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
                    unsigned char *psk, unsigned int max_psk_len)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect-not: SI008
    int failed = PyErr_CheckSignals();
    PyGILState_Release(gil);  // expect-not: SI008
    return failed ? 0 : 1;
}

static void
message_callback(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl,
                 void *arg)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect-not: SI008
    int failed = PyErr_CheckSignals();
    PyGILState_Release(gil);  // expect-not: SI008
    (void)failed;
}

static int
servername_callback(SSL *ssl, int *alert, void *arg)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect-not: SI008
    int failed = PyErr_CheckSignals();
    PyGILState_Release(gil);  // expect-not: SI008
    return failed ? 0 : 1;
}

static void
on_watch_event(void *user)
{
    PyGILState_STATE gil = PyGILState_Ensure();  // expect: SI008 "decided by watcher_register"
    PyObject *result = PyObject_CallNoArgs((PyObject *)user);
    Py_XDECREF(result);
    PyGILState_Release(gil);  // expect: SI008
}

static PyObject *
set_psk_callback(PyObject *module, PyObject *callable)
{
    SSL_CTX *ctx = (SSL_CTX *)PyModule_GetState(module);
    SSL_psk_client_cb_func ssl_callback;
    if (callable == Py_None) {
        ssl_callback = NULL;
    }
    else {
        ssl_callback = psk_client_callback;
    }
    SSL_CTX_set_psk_client_callback(ctx, ssl_callback);
    SSL_CTX_set_msg_callback(ctx, message_callback);
    SSL_CTX_set_tlsext_servername_callback(ctx, servername_callback);
    Py_RETURN_NONE;
}

static PyObject *
watch(PyObject *module, PyObject *callable)
{
    event_fn handler = on_watch_event;
    if (watcher_register(PyModule_GetState(module), handler, callable) != 0) {
        return PyErr_NoMemory();
    }
    Py_RETURN_NONE;
}

static PyMethodDef tls_methods[] = {
    {"set_psk_callback", set_psk_callback, METH_O, NULL},
    {"watch", watch, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot tls_slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef tls_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "gilstate_tls_callbacks",
    .m_size = 0,
    .m_methods = tls_methods,
    .m_slots = tls_slots,
};

PyMODINIT_FUNC
PyInit_gilstate_tls_callbacks(void)
{
    return PyModuleDef_Init(&tls_def);
}
