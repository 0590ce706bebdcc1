// File: the 64-byte blocks ECREATE, EADD and EEXTEND add to MRENCLAVE, written from the
// SDM pseudocode (TMPUPDATEFIELD) for tests to compute expected measurements.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace sgxref::testlib {

using MeasurementBlock = std::array<uint8_t, 64>;

// "ECREATE\0", SSAFRAMESIZE (4 bytes), SIZE (8 bytes), zeros.
inline MeasurementBlock ecreate_block(uint32_t ssa_frame_size, uint64_t size) {
  MeasurementBlock b{};
  std::memcpy(b.data(), "ECREATE", 7);
  std::memcpy(b.data() + 8, &ssa_frame_size, 4);
  std::memcpy(b.data() + 12, &size, 8);
  return b;
}

// "EADD\0\0\0\0", the page's offset in the enclave, SECINFO's first 48 bytes (FLAGS,
// then reserved bytes that must be zero).
inline MeasurementBlock eadd_block(uint64_t offset, uint64_t secinfo_flags) {
  MeasurementBlock b{};
  std::memcpy(b.data(), "EADD", 4);
  std::memcpy(b.data() + 8, &offset, 8);
  std::memcpy(b.data() + 16, &secinfo_flags, 8);
  return b;
}

// "EEXTEND\0", the chunk's offset in the enclave, zeros; the 256-byte chunk follows.
inline MeasurementBlock eextend_block(uint64_t offset) {
  MeasurementBlock b{};
  std::memcpy(b.data(), "EEXTEND", 7);
  std::memcpy(b.data() + 8, &offset, 8);
  return b;
}

}  // namespace sgxref::testlib
