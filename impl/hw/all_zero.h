// File: the test leaves apply to a reserved field of an operand they read (SECINFO,
// SECS, TCS, SIGSTRUCT): every byte zero.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sgxref::hw {

template <size_t N>
bool all_zero(const uint8_t (&bytes)[N]) {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

}  // namespace sgxref::hw
