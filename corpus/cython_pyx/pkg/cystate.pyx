# cython: language_level=3
# subcheck corpus: the .pyx of pkg/cystate.c (see ../README.md). SI011 reports here, at the
# line and by the name the author wrote; the generated C states the module's expectations.

cdef object _cache = {}  # expect: SI011 "'_cache'" "once the module accepts them, each interpreter" "subinterpreters_compatible=own_gil"
cdef dict _handlers
cdef int _calls = 0  # expect: SI011 "'_calls'" "written at run time (line 32): free-threaded threads race on it"
cdef double _scale = 2.5  # expect-not: SI011
cdef Py_ssize_t MAX_ITEMS = 64  # expect-not: SI011

_handlers = {"ping": None}  # expect: SI011 "'_handlers'"
_default_limit = 16  # expect-not: SI011


cdef class Parser:  # expect: SI011 "cdef class 'Parser'" "guard (SI009) keeps other interpreters out today" "CYTHON_USE_TYPE_SPECS=1"
    cdef object buffer
    cdef int state

    def __init__(self):
        self.buffer = bytearray()
        self.state = 0

    def feed(self, data):
        self.buffer += data
        _cache[len(self.buffer)] = data
        _count()
        return len(self.buffer)


cdef void _count():
    global _calls
    _calls += 1


def calls():
    return _calls


def scaled(double x):
    return x * _scale + MAX_ITEMS
