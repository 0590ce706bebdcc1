// File: filling and signing a SIGSTRUCT the way an enclave author's signing tool does:
// fixed headers, the author's choices from SigStructParams, then MODULUS, EXPONENT,
// SIGNATURE and the quotients Q1/Q2 (SDM vol. 3D "Enclave Signature Structure").
#pragma once

#include <array>
#include <cstdint>

#include "sign/signing_key.h"
#include "uapi/sigstruct.h"

namespace sgxref::sign {

// What the author decides. A zero mask leaves that SECS field unconstrained at EINIT.
struct SigStructParams {
  uint32_t vendor = 0;  // 0, or 0x8086 for Intel's own enclaves
  uint32_t date = 0;    // yyyymmdd in BCD, e.g. 0x20250131; EINIT does not check it
  uint32_t swdefined = 0;
  uint32_t miscselect = 0;
  uint32_t misc_mask = 0;
  std::array<uint8_t, 16> isv_family_id{};  // nonzero only for enclaves with KSS
  uint64_t attributes = 0;
  uint64_t xfrm = 0;
  uint64_t attributes_mask = 0;
  uint64_t xfrm_mask = 0;
  std::array<uint8_t, 32> mrenclave{};  // the enclave's final MRENCLAVE, computed by the caller
  std::array<uint8_t, 16> isv_ext_prod_id{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
};

// A SIGSTRUCT for `p`, signed with `key`; every reserved field is zero.
uapi::SigStruct make_sigstruct(const SigningKey& key, const SigStructParams& p);

// Signs `s` as it stands with `key`: writes MODULUS, EXPONENT (3), SIGNATURE over
// HEADER || BODY, Q1 and Q2. Used after changing a field of a signed SIGSTRUCT.
void sign_sigstruct(const SigningKey& key, uapi::SigStruct& s);

}  // namespace sgxref::sign
