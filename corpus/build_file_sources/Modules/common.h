/* compile exemption: dirlib.h (the directory library's header) is not installed, on purpose. */
#include <Python.h>
#include <dirlib.h>
