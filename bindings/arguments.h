// File: checks of the arguments Python passes, made before anything reaches C++ so a
// value C++ cannot hold raises ValueError naming the argument and what it takes, never
// a wrapped value or a crash. What the driver itself checks (alignment, ranges of an
// enclave) is left to it, so its errno reaches Python as Linux would give it.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>

namespace sgxref::bindings {

// `v` as an unsigned 64-bit value: ValueError if negative or beyond 2**64-1.
uint64_t u64(const pybind11::int_& v, const char* name);
// None, or an int as u64 does; TypeError for anything else (a str that looks like a
// number included).
std::optional<uint64_t> optional_u64(const pybind11::object& v, const char* name);
// The same, and in [lo, hi].
uint64_t in_range(const pybind11::int_& v, const char* name, uint64_t lo, uint64_t hi);

}  // namespace sgxref::bindings
