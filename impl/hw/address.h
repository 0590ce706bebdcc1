// File: the emulator's physical address map. Kernel code (the driver) reaches RAM and
// the EPC through an identity direct map, so ENCLS operands are physical addresses.
// Address 0 and everything outside RAM and EPC is unmapped: an operand there takes #PF.
#pragma once

#include <cstdint>

namespace sgxref::hw {

using PAddr = uint64_t;  // physical == kernel linear address
using LAddr = uint64_t;  // a linear address in a user process (ELRANGE lives here)

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kPageShift = 12;

inline constexpr PAddr kRamBase = 0x0000'0010'0000'0000ull;  // 64 GiB
inline constexpr PAddr kEpcBase = 0x0000'0080'0000'0000ull;  // 512 GiB

constexpr bool is_aligned(uint64_t v, uint64_t align) { return (v & (align - 1)) == 0; }
constexpr uint64_t page_of(uint64_t v) { return v & ~(kPageSize - 1); }
constexpr uint64_t page_offset(uint64_t v) { return v & (kPageSize - 1); }

// 48-bit canonical form: bits 63:47 all equal.
constexpr bool is_canonical(uint64_t v) {
  const uint64_t top = v >> 47;
  return top == 0 || top == 0x1FFFF;
}

}  // namespace sgxref::hw
