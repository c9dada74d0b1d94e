/* FT003 and a list held by a struct on the caller's stack. brotli's output buffer keeps
 * its blocks in a list that a helper makes, others append to and read, and the last one
 * clears; the struct itself is a local of each compress call, so no other thread can reach
 * the list. The same helpers given a struct inside a Python object, or a local copied from
 * one, read a list any thread holding the object can change.
 *
 * TN: FT003 in `blocks_join` (every caller hands it `&buffer`, a local set up field by field).
 * TP: FT003 in `blocks_first` (a method hands it the object's own buffer) and in
 *     `blocks_last` (given a local copied from the object's buffer, which shares its list).
 *
 * subcheck-expect-module: name=stack_buffer init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include <Python.h>

typedef struct {
    PyObject *blocks;
    Py_ssize_t allocated;
} block_buffer;

typedef struct {
    PyObject_HEAD
    block_buffer pending;
} Streamer;

static int
blocks_grow(block_buffer *buffer, Py_ssize_t size)
{
    PyObject *block = PyBytes_FromStringAndSize(NULL, size);
    if (block == NULL) {
        return -1;
    }
    if (buffer->blocks == NULL) {
        buffer->blocks = PyList_New(0);
        if (buffer->blocks == NULL) {
            Py_DECREF(block);
            return -1;
        }
    }
    int rc = PyList_Append(buffer->blocks, block);
    Py_DECREF(block);
    buffer->allocated += size;
    return rc;
}

static PyObject *
blocks_join(block_buffer *buffer)
{
    PyObject *result = PyBytes_FromStringAndSize(NULL, buffer->allocated);
    if (result == NULL) {
        return NULL;
    }
    char *out = PyBytes_AS_STRING(result);
    for (Py_ssize_t i = 0; i < Py_SIZE(buffer->blocks); i++) {
        PyObject *block = PyList_GET_ITEM(buffer->blocks, i);  // expect-not: FT003
        memcpy(out, PyBytes_AS_STRING(block), Py_SIZE(block));
        out += Py_SIZE(block);
    }
    Py_CLEAR(buffer->blocks);
    return result;
}

static PyObject *
blocks_first(block_buffer *buffer)
{
    PyObject *first = PyList_GET_ITEM(buffer->blocks, 0);  // expect: FT003 "blocks_first"
    return PyBytes_FromStringAndSize(PyBytes_AS_STRING(first), 1);
}

static PyObject *
blocks_last(block_buffer *buffer)
{
    PyObject *last = PyList_GET_ITEM(buffer->blocks, Py_SIZE(buffer->blocks) - 1);  // expect: FT003 "blocks_last"
    return PyBytes_FromStringAndSize(PyBytes_AS_STRING(last), 1);
}

static PyObject *
stack_buffer_fill(PyObject *module, PyObject *count)
{
    block_buffer buffer = {.blocks = NULL, .allocated = 0};
    Py_ssize_t n = PyLong_AsSsize_t(count);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (blocks_grow(&buffer, 16) < 0) {
            Py_CLEAR(buffer.blocks);
            return NULL;
        }
    }
    if (buffer.blocks == NULL) {
        return PyBytes_FromStringAndSize(NULL, 0);
    }
    return blocks_join(&buffer);
}

static PyObject *
streamer_head(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    Streamer *self = (Streamer *)op;
    if (self->pending.blocks == NULL && blocks_grow(&self->pending, 16) < 0) {
        return NULL;
    }
    return blocks_first(&self->pending);
}

static PyObject *
streamer_tail(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    Streamer *self = (Streamer *)op;
    if (self->pending.blocks == NULL) {
        Py_RETURN_NONE;
    }
    block_buffer view = self->pending;
    return blocks_last(&view);
}

static PyMethodDef streamer_methods[] = {
    {"head", streamer_head, METH_NOARGS, NULL},
    {"tail", streamer_tail, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot streamer_type_slots[] = {
    {Py_tp_methods, streamer_methods},
    {0, NULL},
};

static PyType_Spec streamer_spec = {
    .name = "stack_buffer.Streamer",
    .basicsize = sizeof(Streamer),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = streamer_type_slots,
};

static int
stack_buffer_exec(PyObject *module)
{
    PyObject *type = PyType_FromModuleAndSpec(module, &streamer_spec, NULL);
    return PyModule_Add(module, "Streamer", type);
}

static PyMethodDef stack_buffer_methods[] = {
    {"fill", stack_buffer_fill, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot stack_buffer_slots[] = {
    {Py_mod_exec, stack_buffer_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef stack_buffer_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "stack_buffer",
    .m_methods = stack_buffer_methods,
    .m_slots = stack_buffer_slots,
};

PyMODINIT_FUNC
PyInit_stack_buffer(void)
{
    return PyModuleDef_Init(&stack_buffer_def);
}
