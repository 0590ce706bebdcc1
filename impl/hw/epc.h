// File: the Enclave Page Cache: real 4 KiB pages of bytes at kEpcBase, the EPCM entry
// and the architectural lock state of every page. The EPCM and the lock state are
// guarded by the machine's state mutex; a page's bytes are protected by the
// architectural lock the leaf touching them holds.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "hw/address.h"
#include "hw/epcm_entry.h"
#include "hw/page_locks.h"

namespace sgxref::hw {

class Epc {
 public:
  explicit Epc(uint32_t pages);

  uint32_t pages() const { return pages_; }
  PAddr addr(uint32_t slot) const { return kEpcBase + (uint64_t(slot) << kPageShift); }

  // The slot holding `pa`, or nothing when `pa` is outside the EPC.
  std::optional<uint32_t> slot(PAddr pa) const {
    if (pa < kEpcBase) return std::nullopt;
    const uint64_t i = (pa - kEpcBase) >> kPageShift;
    if (i >= pages_) return std::nullopt;
    return uint32_t(i);
  }
  bool contains(PAddr pa) const { return slot(pa).has_value(); }

  uint8_t* page(uint32_t slot) { return bytes_.get() + (uint64_t(slot) << kPageShift); }
  const uint8_t* page(uint32_t slot) const {
    return bytes_.get() + (uint64_t(slot) << kPageShift);
  }

  EpcmEntry& epcm(uint32_t slot) { return epcm_[slot]; }
  const EpcmEntry& epcm(uint32_t slot) const { return epcm_[slot]; }
  PageLockState& lock(uint32_t slot) { return locks_[slot]; }
  const PageLockState& lock(uint32_t slot) const { return locks_[slot]; }

 private:
  uint32_t pages_;
  std::unique_ptr<uint8_t[]> bytes_;
  std::vector<EpcmEntry> epcm_;
  std::vector<PageLockState> locks_;
};

}  // namespace sgxref::hw
