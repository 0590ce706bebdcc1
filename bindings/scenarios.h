// File: the kernel selftests' mirrors (props/scenarios) from Python: their names, and
// one run's result as plain data, so a sequence driven from Python can be held against
// the same sequence run in C++ (the bindings' agreement test does).
#pragma once

#include <pybind11/pybind11.h>

namespace sgxref::bindings {

void bind_scenarios(pybind11::module_& m);

}  // namespace sgxref::bindings
