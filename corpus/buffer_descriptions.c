/* Process-global C data whose types look like Python objects, and C data written through
 * the C library (the shapes of CPython's _testbuffer.c, in code of its own).
 *
 * A Py_buffer is a C description of memory (buf, len, format, shape, strides); its `obj`
 * member is a PyObject *, but it holds an object only after a buffer request fills it or
 * code sets it. A static Py_buffer that is only read, or that is copied into and patched
 * field by field, is C data: SI010 when written, never SI006. One a request fills
 * (PyObject_GetBuffer) or whose obj is set holds a reference to another interpreter's
 * exporter: SI006.
 *
 * TP: SI006 for a static Py_buffer filled by PyObject_GetBuffer and for one whose obj is
 * set; SI010 for the function-static view copied from a request and patched, for the
 * static arrays memcpy, strcpy and snprintf write, and for a PyType_Slot array the exec
 * function fills in (a process-global table written by every import).
 * TN: the constant description the getbuffer function copies (only read: neither rule),
 * the copied view (not SI006), an array only read by memcpy (its source), a slot array
 * complete in its initialiser.
 * Also SI003: the module says it needs a shared GIL.
 *
 * subcheck-expect-module: name=buffer_descriptions init=multi-phase multiple_interpreters=Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED gil=Py_MOD_GIL_USED subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>
#include <stdio.h>
#include <string.h>

#define MAX_DIMS 8

static char pattern_bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static Py_ssize_t pattern_shape[1] = {8};

/* Every request copies this and sets the copy's obj, never this one's. */
static Py_buffer pattern_view = {  // expect-not: SI006 SI010
    pattern_bytes, NULL, 8, 1, 1, 1, "B", pattern_shape, NULL, NULL, NULL,
};

static int
pattern_getbuffer(PyObject *self, Py_buffer *view, int flags)
{
    *view = pattern_view;
    view->obj = Py_NewRef(self);
    return 0;
}

static char greeting[16] = "hello";  // expect-not: SI010
static char last_error[64];          // expect: SI010 "last_error"

/* A memoryview over a private copy of another exporter's description: the view and the
   arrays it points into are one per process, rewritten by every call. */
static PyObject *
snapshot_view(PyObject *module, PyObject *exporter)
{
    static char format_copy[MAX_DIMS + 1];   // expect: SI010 "format_copy"
    static Py_ssize_t shape_copy[MAX_DIMS];  // expect: SI010 "shape_copy"
    static Py_buffer snapshot;               // expect: SI010 "snapshot"  // expect-not: SI006
    Py_buffer source;
    char prefix[16];

    if (PyObject_GetBuffer(exporter, &source, PyBUF_FULL_RO) < 0) {
        return NULL;
    }
    memcpy(prefix, greeting, sizeof prefix);
    if (source.ndim > MAX_DIMS || strlen(source.format) > MAX_DIMS) {
        snprintf(last_error, sizeof last_error, "%s: too many dimensions", prefix);
        PyBuffer_Release(&source);
        PyErr_SetString(PyExc_ValueError, last_error);
        return NULL;
    }
    snapshot = source;
    strcpy(format_copy, source.format);
    memcpy(shape_copy, source.shape, (size_t)source.ndim * sizeof(Py_ssize_t));
    snapshot.format = format_copy;
    snapshot.shape = shape_copy;
    snapshot.strides = NULL;
    PyObject *result = PyMemoryView_FromBuffer(&snapshot);
    PyBuffer_Release(&source);
    return result;
}

static Py_buffer held_view;  // expect: SI006 "held_view"  // expect-not: SI010

static PyObject *
hold(PyObject *module, PyObject *exporter)
{
    if (PyObject_GetBuffer(exporter, &held_view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static Py_buffer owned_view;  // expect: SI006 "owned_view"  // expect-not: SI010

static PyObject *
adopt(PyObject *module, PyObject *owner)
{
    owned_view.buf = pattern_bytes;
    owned_view.len = sizeof pattern_bytes;
    owned_view.obj = Py_NewRef(owner);
    Py_RETURN_NONE;
}

static PyBufferProcs pattern_as_buffer = {
    .bf_getbuffer = pattern_getbuffer,
};

/* The base class is filled in at run time ("C cannot take its address here"), by every
   import, in every interpreter, but always with the same address (same_value_writes.c). */
static PyType_Slot pattern_slots[] = {  // expect-not: SI010
    {Py_tp_base, NULL},
    {0, NULL},
};

static PyType_Spec pattern_spec = {
    .name = "buffer_descriptions.Pattern",
    .basicsize = sizeof(PyObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = pattern_slots,
};

static PyType_Slot plain_slots[] = {  // expect-not: SI010
    {Py_tp_doc, "complete in its initialiser"},
    {0, NULL},
};

static PyType_Spec plain_spec = {
    .name = "buffer_descriptions.Plain",
    .basicsize = sizeof(PyObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = plain_slots,
};

static PyMethodDef buffer_methods[] = {
    {"snapshot_view", snapshot_view, METH_O, NULL},
    {"hold", hold, METH_O, NULL},
    {"adopt", adopt, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static int
buffer_exec(PyObject *module)
{
    pattern_slots[0].pfunc = &PyBaseObject_Type;
    PyObject *pattern = PyType_FromSpec(&pattern_spec);
    if (pattern == NULL) {
        return -1;
    }
    ((PyTypeObject *)pattern)->tp_as_buffer = &pattern_as_buffer;
    if (PyModule_Add(module, "Pattern", pattern) < 0) {
        return -1;
    }
    return PyModule_Add(module, "Plain", PyType_FromSpec(&plain_spec));
}

static PyModuleDef_Slot buffer_slots[] = {
    {Py_mod_exec, buffer_exec},
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},  // expect: SI003
    {Py_mod_gil, Py_MOD_GIL_USED},
    {0, NULL},
};

static PyModuleDef buffer_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "buffer_descriptions",
    .m_methods = buffer_methods,
    .m_slots = buffer_slots,
};

PyMODINIT_FUNC
PyInit_buffer_descriptions(void)
{
    return PyModuleDef_Init(&buffer_def);
}
