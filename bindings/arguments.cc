#include "bindings/arguments.h"

#include <string>

namespace py = pybind11;

namespace sgxref::bindings {

uint64_t u64(const py::int_& v, const char* name) {
  const std::string text = py::repr(v);
  if (v < py::int_(0))
    throw py::value_error(std::string(name) + " must not be negative, got " + text);
  const unsigned long long r = PyLong_AsUnsignedLongLong(v.ptr());
  if (PyErr_Occurred()) {
    PyErr_Clear();
    throw py::value_error(std::string(name) + " is beyond 2**64-1: " + text);
  }
  return r;
}

std::optional<uint64_t> optional_u64(const py::object& v, const char* name) {
  if (v.is_none()) return std::nullopt;
  if (!py::isinstance<py::int_>(v)) {
    throw py::type_error(std::string(name) + " must be an int or None, got " +
                         std::string(py::repr(v)));
  }
  return u64(v.cast<py::int_>(), name);
}

uint64_t in_range(const py::int_& v, const char* name, uint64_t lo, uint64_t hi) {
  const uint64_t r = u64(v, name);
  if (r < lo || r > hi) {
    throw py::value_error(std::string(name) + " takes " + std::to_string(lo) + " to " +
                          std::to_string(hi) + ", got " + std::to_string(r));
  }
  return r;
}

}  // namespace sgxref::bindings
