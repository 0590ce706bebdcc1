// File: SIGSTRUCT and EINITTOKEN (SDM vol. 3D "Enclave Signature Structure",
// "EINIT Token Structure"; Linux struct sgx_sigstruct).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sgxref::uapi {

inline constexpr size_t kRsa3072Bytes = 384;

struct SigStructHeader {
  uint8_t header1[16];
  uint32_t vendor;
  uint32_t date;
  uint8_t header2[16];
  uint32_t swdefined;
  uint8_t reserved[84];
};
static_assert(sizeof(SigStructHeader) == 128);

// ATTRIBUTES sits at body offset 28 (SIGSTRUCT offset 928), so the body is packed.
#pragma pack(push, 1)
struct SigStructBody {
  uint32_t miscselect;
  uint32_t misc_mask;
  uint8_t reserved1[4];
  uint8_t isv_family_id[16];
  uint64_t attributes;
  uint64_t xfrm;
  uint64_t attributes_mask;
  uint64_t xfrm_mask;
  uint8_t mrenclave[32];
  uint8_t reserved2[16];
  uint8_t isv_ext_prod_id[16];
  uint16_t isv_prod_id;
  uint16_t isv_svn;
};
#pragma pack(pop)
static_assert(sizeof(SigStructBody) == 128);
static_assert(offsetof(SigStructBody, attributes) == 28);
static_assert(offsetof(SigStructBody, mrenclave) == 60);
static_assert(offsetof(SigStructBody, isv_prod_id) == 124);

#pragma pack(push, 1)
struct SigStruct {
  SigStructHeader header;
  uint8_t modulus[kRsa3072Bytes];  // little-endian
  uint32_t exponent;
  uint8_t signature[kRsa3072Bytes];  // little-endian
  SigStructBody body;
  uint8_t reserved[12];
  uint8_t q1[kRsa3072Bytes];
  uint8_t q2[kRsa3072Bytes];
};
#pragma pack(pop)
static_assert(sizeof(SigStruct) == 1808);
static_assert(offsetof(SigStruct, modulus) == 128);
static_assert(offsetof(SigStruct, exponent) == 512);
static_assert(offsetof(SigStruct, signature) == 516);
static_assert(offsetof(SigStruct, body) == 900);
static_assert(offsetof(SigStruct, q1) == 1040);

inline constexpr uint8_t kSigStructHeader1[16] = {0x06, 0x00, 0x00, 0x00, 0xE1, 0x00, 0x00, 0x00,
                                                  0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
inline constexpr uint8_t kSigStructHeader2[16] = {0x01, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00,
                                                  0x60, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
inline constexpr uint32_t kSigStructVendorIntel = 0x8086;

#pragma pack(push, 1)
struct EinitToken {
  uint32_t valid;
  uint8_t reserved1[44];
  uint64_t attributes;
  uint64_t xfrm;
  uint8_t mrenclave[32];
  uint8_t reserved2[32];
  uint8_t mrsigner[32];
  uint8_t reserved3[32];
  uint8_t cpusvn_le[16];
  uint16_t isv_prod_id_le;
  uint16_t isv_svn_le;
  uint8_t reserved4[24];
  uint32_t masked_miscselect_le;
  uint64_t masked_attributes_le;
  uint64_t masked_xfrm_le;
  uint8_t keyid[32];
  uint8_t mac[16];
};
#pragma pack(pop)
static_assert(sizeof(EinitToken) == 304);
inline constexpr uint64_t kEinitTokenAlign = 512;

}  // namespace sgxref::uapi
