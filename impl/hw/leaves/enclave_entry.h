// File: what EENTER and ERESUME share: the operand checks both make in the same order
// (enclave_entry.cc), what those checks found, and the TCS execution states.
#pragma once

#include <cstdint>

#include "hw/cpu.h"
#include "uapi/secs.h"
#include "uapi/tcs.h"

namespace sgxref::hw {

// TCS.STATE: whether a logical processor is executing on the TCS.
inline constexpr uint64_t kTcsInactive = 0;
inline constexpr uint64_t kTcsActive = 1;

struct Cpu::Entry {
  LAddr tcs_la = 0;
  LAddr aep = 0;
  uint32_t tcs_slot = 0;
  uint32_t secs_slot = 0;
  uapi::Tcs tcs{};
  uapi::Secs secs{};
  uint32_t frame = 0;       // the SSA frame: CSSA for EENTER, CSSA - 1 for ERESUME
  uint32_t xsave_slot = 0;  // the frame's first page, where its XSAVE area starts
  uint32_t gpr_slot = 0;    // the page holding the frame's GPRSGX, and its offset
  uint32_t gpr_offset = 0;
};

}  // namespace sgxref::hw
