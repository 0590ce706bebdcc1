// File: what ETRACK's machinery knows about one logical CPU (docs/hw.md "Tracking"):
// whether it is inside an enclave and the enclave's epoch when it entered. The machine
// keeps one per CPU under its state mutex, where ETRACK, EWB, EACCEPT and EREMOVE read
// them and EENTER, ERESUME, EEXIT and AEX write them.
#pragma once

#include <cstdint>

namespace sgxref::hw {

struct CpuTracking {
  bool inside = false;       // between EENTER/ERESUME and EEXIT/AEX
  uint32_t secs = 0;         // the enclave's SECS slot, while inside
  uint64_t entry_epoch = 0;  // the enclave's epoch E at entry, while inside
};

}  // namespace sgxref::hw
