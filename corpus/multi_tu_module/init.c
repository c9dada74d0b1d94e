/* PyInit only: the module definition lives in def.c. Expectations: see module.h. */
#include "module.h"

PyMODINIT_FUNC
PyInit_multi_tu(void)
{
    return multi_tu_initialise();
}
