/* Globals written without being named at the write: through a static table whose rows
 * hold their addresses (psycopg2's exception table), and through a local pointer that
 * holds a global's address or a global array (psycopg2's typecast and format tables).
 *
 * TP: SI006 for each exception object the table loop creates, and for the object a local
 * pointer stores; SI010 for a C table filled through a cursor pointer and a struct
 * updated through `&global`.
 * Also FT001/SI001: a plain single-phase module, with m_size 0 so that its PyInit runs
 * in every interpreter that imports it and what PyInit writes is rewritten there.
 * TN: the row a loop from index 1 skips (psycopg2 sets `Error`, its row 0, elsewhere), the
 * base-class field of the same table (only read), a table whose rows are only
 * read, a local struct written through a pointer to itself, and a constant table copied
 * element by element into the caller's buffer, twice (HACL*'s `s[i] = _h0[i]`: an
 * element read from a global is not the global's address).
 *
 * subcheck-expect-module: name=globals_through_pointers init=single-phase multiple_interpreters=absent gil=absent subinterpreters=unsupported free_threading=requires-gil
 */
#include <Python.h>

static PyObject *BaseFailure;      // expect: SI006 "BaseFailure"
static PyObject *ParseFailure;     // expect: SI006 "ParseFailure"
static PyObject *TimeoutFailure;   // expect: SI006 "TimeoutFailure"
static PyObject *NeverCreated;     // expect-not: SI006

/* Rows name each exception's slot and its base; the loop below fills every slot. */
static struct {
    const char *name;
    PyObject **slot;
    PyObject **parent;
} failure_rows[] = {
    {"gtp.BaseFailure", &BaseFailure, NULL},
    {"gtp.ParseFailure", &ParseFailure, &BaseFailure},
    {"gtp.TimeoutFailure", &TimeoutFailure, &BaseFailure},
    {NULL, NULL, NULL},
};

/* Only read: the slot field's objects exist elsewhere, nothing is stored through it. */
static struct {
    const char *label;
    PyObject **object;
} lookup_rows[] = {
    {"never", &NeverCreated},
    {NULL, NULL},
};

typedef struct {
    char code;
    int width;
} format_entry;

static format_entry format_codes[8];  // expect: SI010 "format_codes"

typedef struct {
    long hits;
    long misses;
} cache_stats;

static cache_stats stats;  // expect: SI010 "stats"

static PyObject *last_result;  // expect: SI006 "last_result"

static unsigned initial_state[2] = {17, 42};  // expect-not: SI010

static void
state_init(unsigned *state)
{
    state[0] = initial_state[0];
    state[1] = initial_state[1];
    state[0] = initial_state[0];
}

static PyObject *SkippedFirst;  // expect-not: SI006
static PyObject *FilledSecond;  // expect: SI006 "FilledSecond"

static struct {
    const char *name;
    PyObject **slot;
} later_rows[] = {
    {"gtp.SkippedFirst", &SkippedFirst},
    {"gtp.FilledSecond", &FilledSecond},
    {NULL, NULL},
};

static int
make_later_failures(void)
{
    for (int i = 1; later_rows[i].name; i++) {
        *later_rows[i].slot = PyErr_NewException(later_rows[i].name, NULL, NULL);
        if (*later_rows[i].slot == NULL) {
            return -1;
        }
    }
    return 0;
}

static int
make_failures(void)
{
    for (int i = 0; failure_rows[i].name; i++) {
        PyObject *base = failure_rows[i].parent ? *failure_rows[i].parent : PyExc_Exception;
        if (!(*failure_rows[i].slot = PyErr_NewException(failure_rows[i].name, base, NULL))) {
            return -1;
        }
    }
    return 0;
}

static void
fill_formats(void)
{
    format_entry *entry;
    entry = format_codes;
    for (char c = 'a'; c < 'h'; c++, entry++) {
        entry->code = c;
        entry->width = 1;
    }
}

static PyObject *
count_lookup(PyObject *self, PyObject *arg)
{
    cache_stats *counters = &stats;
    counters->hits += 1;
    PyObject **cell = &last_result;
    Py_INCREF(arg);
    Py_XDECREF(*cell);
    *cell = arg;
    unsigned state[2];
    state_init(state);
    format_entry scratch;
    format_entry *own = &scratch;
    own->width = 0;
    int found = 0;
    for (int i = 0; lookup_rows[i].label; i++) {
        found += *lookup_rows[i].object != NULL;
    }
    return PyLong_FromLong(found + own->width + (long)state[1]);
}

static PyMethodDef methods[] = {
    {"count_lookup", count_lookup, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "globals_through_pointers", NULL, 0, methods,
};

PyMODINIT_FUNC
PyInit_globals_through_pointers(void)  // expect: FT001
{
    fill_formats();
    if (make_failures() < 0 || make_later_failures() < 0) return NULL;
    return PyModule_Create(&moduledef);  // expect: SI001
}
