// File: how the driver reads an ENCLS outcome, as Linux's encls.h does: a leaf either
// faulted (Linux folds the trap number into the return value with ENCLS_FAULT_FLAG),
// returned an SGX error code, or succeeded. encls_failed() is what Linux WARNs on: any
// code, and any fault but #PF (an EPCM conflict, which the flows expect and handle).
#pragma once

#include "hw/fault.h"

namespace sgxref::driver {

inline bool encls_faulted(const hw::Result& r) { return r.faulted(); }
inline bool encls_failed(const hw::Result& r) {
  if (r.faulted()) return r.fault.vector != hw::Vector::kPF;
  return r.code != hw::SgxCode::kSuccess;
}
inline bool encls_returned_code(const hw::Result& r, hw::SgxCode c) {
  return !r.faulted() && r.code == c;
}

}  // namespace sgxref::driver
