/* Modules with non-ASCII names (CPython's _testmultiphase has the same kind): CPython
 * looks for `PyInitU_` followed by the punycode of the name, '-' written '_', and names a
 * multi-phase module by what was imported, not by the def's m_name. SI002's message names
 * the module as a user imports it: the decoded name; where the suffix is not punycode,
 * the def's m_name if it is a string literal, else the symbol's suffix.
 *
 * TP: SI002 and FT001 for each module (no slot in any of them); the messages name
 * 'nonascii_zkouška' (ASCII prefix kept), 'モジュール' (no ASCII at all), 'odd.name'
 * (m_name: the suffix does not decode), 'strange_9' (the symbol: nothing better known).
 *
 * subcheck-expect-module: name=nonascii_zkouka_i7c init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 * subcheck-expect-module: name=yck6dky8f init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 * subcheck-expect-module: name=oddname_9 init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 * subcheck-expect-module: name=strange_9 init=multi-phase multiple_interpreters=absent gil=absent subinterpreters=shared-gil-only free_threading=requires-gil
 */
#include <Python.h>

#define STRANGE_NAME "strange"

static PyModuleDef_Slot empty_slots[] = {  // expect: FT001
    {0, NULL},
};

/* The m_name is not what is imported: the symbol says `nonascii_zkouška`. */
static PyModuleDef czech_def = {  // expect: SI002 "'nonascii_zkouška'"
    PyModuleDef_HEAD_INIT,
    .m_name = "nonascii_latin",
    .m_slots = empty_slots,
};

PyMODINIT_FUNC
PyInitU_nonascii_zkouka_i7c(void)
{
    return PyModuleDef_Init(&czech_def);
}

static PyModuleDef kana_def = {  // expect: SI002 "'モジュール'"
    PyModuleDef_HEAD_INIT,
    .m_name = "nonascii_kana",
    .m_slots = empty_slots,
};

PyMODINIT_FUNC
PyInitU_yck6dky8f(void)
{
    return PyModuleDef_Init(&kana_def);
}

static PyModuleDef odd_def = {  // expect: SI002 "'odd.name'"
    PyModuleDef_HEAD_INIT,
    .m_name = "odd.name",
    .m_slots = empty_slots,
};

PyMODINIT_FUNC
PyInitU_oddname_9(void)
{
    return PyModuleDef_Init(&odd_def);
}

static PyModuleDef strange_def = {  // expect: SI002 "'strange_9'"
    PyModuleDef_HEAD_INIT,
    .m_name = STRANGE_NAME,
    .m_slots = empty_slots,
};

PyMODINIT_FUNC
PyInitU_strange_9(void)
{
    return PyModuleDef_Init(&strange_def);
}
