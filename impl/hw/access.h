// File: the three kinds of memory access a logical CPU makes on behalf of the code it
// runs, and the page-fault error code each one reports (docs/hw.md "Enclave access and
// the TLB").
#pragma once

#include <cstdint>

#include "hw/fault.h"

namespace sgxref::hw {

enum class Access : uint8_t { kRead, kWrite, kFetch };

// The error code of a #PF on a user-mode access: U always, W for a store, I for a
// fetch; P when the PTE was present; SGX when the EPCM refused it.
constexpr uint32_t pf_error_code(Access a, bool present, bool sgx) {
  return pfec::kU | (a == Access::kWrite ? pfec::kW : 0) | (a == Access::kFetch ? pfec::kI : 0) |
         (present ? pfec::kP : 0) | (sgx ? pfec::kSgx : 0);
}

// The #PF(a) of a user-mode access the EPCM refuses (P|U|SGX, plus W or I): an enclave
// access inside ELRANGE, or an ENCLU leaf's memory operand.
inline Result enclave_epcm_pf(uint64_t a, Access k) {
  return Result::pf(a, pf_error_code(k, true, true));
}

}  // namespace sgxref::hw
