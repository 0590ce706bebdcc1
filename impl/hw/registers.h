// File: a logical CPU's register file as the code it runs sees it: the general-purpose
// registers, RFLAGS, RIP and the FS/GS bases. EENTER, ERESUME, EEXIT and AEX load and
// save it; the user side and enclave code read and write it through Cpu.
#pragma once

#include <cstdint>
#include <ostream>

namespace sgxref::hw {

struct Registers {
  uint64_t rax = 0, rcx = 0, rdx = 0, rbx = 0, rsp = 0, rbp = 0, rsi = 0, rdi = 0;
  uint64_t r8 = 0, r9 = 0, r10 = 0, r11 = 0, r12 = 0, r13 = 0, r14 = 0, r15 = 0;
  uint64_t rflags = 0x2;  // bit 1 always reads as 1
  uint64_t rip = 0;
  uint64_t fs_base = 0;
  uint64_t gs_base = 0;

  bool operator==(const Registers&) const = default;
};

// RFLAGS bits the enclave leaves name.
namespace rflags {
inline constexpr uint64_t kCf = 1ull << 0;
inline constexpr uint64_t kPf = 1ull << 2;
inline constexpr uint64_t kAf = 1ull << 4;
inline constexpr uint64_t kZf = 1ull << 6;
inline constexpr uint64_t kSf = 1ull << 7;
inline constexpr uint64_t kTf = 1ull << 8;
inline constexpr uint64_t kDf = 1ull << 10;
inline constexpr uint64_t kOf = 1ull << 11;
inline constexpr uint64_t kNt = 1ull << 14;
inline constexpr uint64_t kRf = 1ull << 16;
inline constexpr uint64_t kAc = 1ull << 18;
inline constexpr uint64_t kId = 1ull << 21;
}  // namespace rflags

std::ostream& operator<<(std::ostream& os, const Registers& r);

}  // namespace sgxref::hw
