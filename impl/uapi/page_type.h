// File: EPCM page types and the SECINFO.FLAGS bit layout (SDM Table "SECINFO Flags";
// Linux asm/sgx.h SGX_SECINFO_*).
#pragma once

#include <cstdint>

namespace sgxref::uapi {

enum class PageType : uint8_t { kSecs = 0, kTcs = 1, kReg = 2, kVa = 3, kTrim = 4 };

constexpr const char* to_string(PageType t) {
  switch (t) {
    case PageType::kSecs: return "SECS";
    case PageType::kTcs: return "TCS";
    case PageType::kReg: return "REG";
    case PageType::kVa: return "VA";
    case PageType::kTrim: return "TRIM";
  }
  return "?";
}

namespace secinfo_flag {
inline constexpr uint64_t kR = 1ull << 0;
inline constexpr uint64_t kW = 1ull << 1;
inline constexpr uint64_t kX = 1ull << 2;
inline constexpr uint64_t kPending = 1ull << 3;
inline constexpr uint64_t kModified = 1ull << 4;
inline constexpr uint64_t kPr = 1ull << 5;
inline constexpr uint64_t kPermMask = kR | kW | kX;
inline constexpr uint64_t kTypeShift = 8;
inline constexpr uint64_t kTypeMask = 0xFFull << kTypeShift;
// Everything else in FLAGS is reserved and must be zero.
inline constexpr uint64_t kReservedMask = ~(kPermMask | kPending | kModified | kPr | kTypeMask);

constexpr uint64_t type(PageType t) { return uint64_t(t) << kTypeShift; }
}  // namespace secinfo_flag

}  // namespace sgxref::uapi
