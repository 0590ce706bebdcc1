// File: the check EADD makes on the TCS it adds and EACCEPT on a page EMODT made a TCS
// (SDM vol. 3D "EADD", "EACCEPT"): no reserved FLAGS bit or byte set and, for a 32-bit
// enclave, FS and GS limits whose low 12 bits are all ones.
#pragma once

#include "hw/all_zero.h"
#include "uapi/tcs.h"

namespace sgxref::hw {

inline bool tcs_well_formed(const uapi::Tcs& t, bool mode64) {
  if ((t.flags & uapi::kTcsFlagsReserved) != 0 || !all_zero(t.reserved)) return false;
  return mode64 || ((t.fs_limit & 0xFFF) == 0xFFF && (t.gs_limit & 0xFFF) == 0xFFF);
}

}  // namespace sgxref::hw
