// File: SECINFO, PAGEINFO and PCMD, the operand blocks of the page leaves
// (SDM vol. 3D "SECINFO", "PAGEINFO", "PCMD"; Linux asm/sgx.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sgxref::uapi {

struct SecInfo {
  uint64_t flags;
  uint8_t reserved[56];
};
static_assert(sizeof(SecInfo) == 64);
inline constexpr uint64_t kSecInfoAlign = 64;

struct PageInfo {
  uint64_t linaddr;
  uint64_t srcpge;
  uint64_t secinfo;  // SECINFO for EADD/EAUG/ECREATE, PCMD for EWB/ELDx
  uint64_t secs;
};
static_assert(sizeof(PageInfo) == 32);
inline constexpr uint64_t kPageInfoAlign = 32;

struct Pcmd {
  SecInfo secinfo;
  uint64_t enclave_id;
  uint8_t reserved[40];
  uint8_t mac[16];
};
static_assert(sizeof(Pcmd) == 128);
static_assert(offsetof(Pcmd, mac) == 112);
inline constexpr uint64_t kPcmdAlign = 128;

}  // namespace sgxref::uapi
