// File: SIGSTRUCT parameters that bind an enclave exactly as it has been built so far,
// the way the kernel selftests sign their test enclave: ATTRIBUTES, XFRM and MISCSELECT
// as the SECS holds them with every bit masked, and MRENCLAVE the measurement so far.
// The identity fields (DATE, ISVPRODID, ISVSVN...) stay zero for the caller to set.
#pragma once

#include <cstdint>

#include "hw/snapshot.h"
#include "sign/sigstruct.h"

namespace sgxref::testlib {

inline sign::SigStructParams binding_params(const hw::SecsView& v) {
  sign::SigStructParams p;
  p.attributes = v.attributes;
  p.attributes_mask = ~uint64_t(0);
  p.xfrm = v.xfrm;
  p.xfrm_mask = ~uint64_t(0);
  p.miscselect = v.miscselect;
  p.misc_mask = ~uint32_t(0);
  p.mrenclave = v.mrenclave;
  return p;
}

}  // namespace sgxref::testlib
