# cython: language_level=3
# cython: subinterpreters_compatible=own_gil
# subcheck corpus: the .pyx of ownpkg/owngil.c (see ../../README.md). No cdef variable, no cdef
# class: the process-wide state is Cython's own, brought in by a typed memoryview and a cpdef
# enum, and SI011 reports it at the C statics (see owngil.c), naming the function below.

cpdef enum Colour:
    RED = 1
    GREEN = 2


def total(double[:] values):
    cdef double acc = 0
    cdef Py_ssize_t i
    for i in range(values.shape[0]):
        acc += values[i]
    return acc


def favourite():
    return Colour.GREEN
