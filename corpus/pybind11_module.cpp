// A pybind11 (3.0) module that opts into both free-threading and per-interpreter GIL
// through PYBIND11_MODULE's options. pybind11 3.0 turns these options into a
// multi-phase PyModuleDef with the Py_mod_gil and Py_mod_multiple_interpreters slots.
//
// COMPILE EXEMPTION: pybind11's headers are not installed on the build machine, so this
// file does not compile here and is exempt from the corpus syntax check. subcheck must
// recognise the module from the PYBIND11_MODULE tokens alone; the missing header is an
// expected parse diagnostic.
//
// subcheck-allow-diagnostics: pybind11 headers are not installed
// subcheck-expect-module: name=pbfast init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
#include <pybind11/pybind11.h>

#include <cstdint>

namespace py = pybind11;

namespace {

std::int64_t add(std::int64_t a, std::int64_t b) { return a + b; }

}  // namespace

PYBIND11_MODULE(pbfast, m, py::mod_gil_not_used(),
                py::multiple_interpreters::per_interpreter_gil()) {
    m.doc() = "pybind11 module that is safe without the GIL and in isolated interpreters";
    m.def("add", &add, py::arg("a"), py::arg("b"));
}
