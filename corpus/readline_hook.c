/* A line-editing module in the shape of CPython's readline: exec stores its hook in
 * PyOS_ReadlineFunctionPointer, and the hook hands a line handler to the editing library,
 * which calls it back from inside the hook. CPython calls the hook only from PyOS_Readline,
 * holding its process-wide readline lock for the whole call, and only in the main
 * interpreter (docs/cpython-behaviour.md #34): what only the hook reaches runs one call at
 * a time, even on a free-threaded build.
 *
 * TN: FT002 for `finished_line`, written by the hook and the handler it hands on.
 * TP: FT002 for `last_prompt`, written by a helper a method calls too; SI010 at both
 *     globals (every interpreter that loads the module shares them).
 *
 * subcheck-expect-module: name=line_hook init=multi-phase multiple_interpreters=absent gil=Py_MOD_GIL_NOT_USED subinterpreters=shared-gil-only free_threading=unsafe
 */
#include <Python.h>
#include <string.h>

typedef void (*line_handler)(char *);

/* The editing library's API, as libreadline's rl_callback_handler_install. */
extern void editor_install(const char *prompt, line_handler handler);
extern void editor_read_char(void);

static char *finished_line;  // expect: SI010
static char *last_prompt;    // expect: SI010

static void
remember_prompt(const char *prompt)
{
    last_prompt = (char *)prompt;  // expect: FT002 "'last_prompt'"
}

static void
on_line(char *text)
{
    finished_line = text;  // expect-not: FT002
}

static char *
hook_readline(FILE *in, FILE *out, const char *prompt)
{
    remember_prompt(prompt);
    finished_line = NULL;
    editor_install(prompt, on_line);
    while (finished_line == NULL) {
        editor_read_char();
    }
    return finished_line;
}

static PyObject *
line_hook_set_prompt(PyObject *module, PyObject *prompt)
{
    const char *text = PyUnicode_AsUTF8(prompt);
    if (text == NULL) {
        return NULL;
    }
    remember_prompt(text);
    Py_RETURN_NONE;
}

static PyMethodDef line_hook_methods[] = {
    {"set_prompt", line_hook_set_prompt, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static int
line_hook_exec(PyObject *module)
{
    PyOS_ReadlineFunctionPointer = hook_readline;
    return 0;
}

static PyModuleDef_Slot line_hook_slots[] = {
    {Py_mod_exec, line_hook_exec},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef line_hook_def = {  // expect: SI002
    PyModuleDef_HEAD_INIT,
    .m_name = "line_hook",
    .m_size = 0,
    .m_methods = line_hook_methods,
    .m_slots = line_hook_slots,
};

PyMODINIT_FUNC
PyInit_line_hook(void)
{
    return PyModuleDef_Init(&line_hook_def);
}
