/* A callback table: init.c fills it, stream_io.c defines what it points to. */
#ifndef CALLBACK_STRUCT_STREAM_H
#define CALLBACK_STRUCT_STREAM_H

#include <Python.h>

struct stream_callbacks {
    int (*on_data)(void *user, const char *data, Py_ssize_t size);
};

int stream_on_data(void *user, const char *data, Py_ssize_t size);

#endif
