// File: what an SSA frame must hold (SDM vol. 3D "State Save Area (SSA) Frame"): the
// XSAVE area for the enclave's XFRM, the MISC region MISCSELECT asks for, and GPRSGX.
// ECREATE refuses an SSAFRAMESIZE smaller than their sum.
#pragma once

#include <cstdint>

#include "uapi/secs.h"

namespace sgxref::hw {

inline constexpr uint64_t kGprSgxSize = 184;
inline constexpr uint64_t kExInfoSize = 16;

// Size of the non-compacted XSAVE area that saves the components XFRM enables: the
// legacy region (x87, SSE) and the XSAVE header always, then each extended component
// at its architectural offset. The offsets and sizes are those CPUID(0Dh, i) reports
// on Intel processors; the emulator has no CPUID leaf 0Dh of its own.
constexpr uint64_t xsave_size(uint64_t xfrm) {
  struct Component {
    int bit;
    uint64_t offset;
    uint64_t size;
  };
  constexpr Component kExtended[] = {
      {2, 576, 256},    // AVX (upper halves of YMM0-15)
      {3, 960, 64},     // MPX BNDREGS
      {4, 1024, 64},    // MPX BNDCSR
      {5, 1088, 64},    // AVX-512 opmask
      {6, 1152, 512},   // AVX-512 ZMM_Hi256
      {7, 1664, 1024},  // AVX-512 Hi16_ZMM
      {9, 2688, 8},     // PKRU
  };
  uint64_t end = 512 + 64;
  for (const Component& c : kExtended) {
    if ((xfrm >> c.bit) & 1) end = c.offset + c.size > end ? c.offset + c.size : end;
  }
  return end;
}

// Size of the MISC region for the MISCSELECT bits set.
constexpr uint64_t misc_size(uint32_t miscselect) {
  return (miscselect & uapi::miscselect::kExInfo) ? kExInfoSize : 0;
}

// The bytes one SSA frame needs for an enclave with this XFRM and MISCSELECT.
constexpr uint64_t ssa_frame_bytes(uint64_t xfrm, uint32_t miscselect) {
  return xsave_size(xfrm) + kGprSgxSize + misc_size(miscselect);
}

}  // namespace sgxref::hw
