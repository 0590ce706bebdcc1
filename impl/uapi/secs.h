// File: the SGX Enclave Control Structure as software writes it for ECREATE
// (SDM vol. 3D Table "Layout of SECS"; Linux struct sgx_secs) and the attribute bits.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sgxref::uapi {

struct Secs {
  uint64_t size;
  uint64_t base;
  uint32_t ssa_frame_size;  // in pages
  uint32_t miscselect;
  uint8_t reserved1[24];
  uint64_t attributes;
  uint64_t xfrm;
  uint8_t mrenclave[32];
  uint8_t reserved2[32];
  uint8_t mrsigner[32];
  uint8_t reserved3[32];
  uint8_t config_id[64];
  uint16_t isv_prod_id;
  uint16_t isv_svn;
  uint16_t config_svn;
  uint8_t reserved4[3834];
};
static_assert(sizeof(Secs) == 4096);
static_assert(offsetof(Secs, attributes) == 48);
static_assert(offsetof(Secs, mrenclave) == 64);
static_assert(offsetof(Secs, mrsigner) == 128);
static_assert(offsetof(Secs, config_id) == 192);
static_assert(offsetof(Secs, isv_prod_id) == 256);
static_assert(offsetof(Secs, reserved4) == 262);

namespace attr {
inline constexpr uint64_t kInit = 1ull << 0;
inline constexpr uint64_t kDebug = 1ull << 1;
inline constexpr uint64_t kMode64Bit = 1ull << 2;
inline constexpr uint64_t kProvisionKey = 1ull << 4;
inline constexpr uint64_t kEinitTokenKey = 1ull << 5;
inline constexpr uint64_t kKss = 1ull << 7;
inline constexpr uint64_t kAexNotify = 1ull << 10;
// Bits 3, 6, 8, 9 and 63:11 are reserved (Linux SGX_ATTR_RESERVED_MASK).
inline constexpr uint64_t kReserved = (1ull << 3) | (1ull << 6) | (1ull << 8) | (1ull << 9) |
                                      ~((1ull << 11) - 1);
}  // namespace attr

namespace miscselect {
inline constexpr uint32_t kExInfo = 1u << 0;
}

}  // namespace sgxref::uapi
