// File: one logical CPU's TLB for enclave pages (docs/hw.md "Enclave access and the
// TLB"): linear page -> {EPC slot, R, W, X}, the EPCM rights intersected with the PTE's
// when it was filled.
// It never evicts (a real TLB may, but an eviction would turn a stale-but-working
// translation into a fault, which the architecture's tracking rules must not depend
// on), and only EENTER, ERESUME, EEXIT and AEX flush it, in O(1) by generation.
//
// Open addressing with linear probing: a hit is a hash, one or two probes, no lock.
// Not thread-safe by itself; Cpu says who may touch it when.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "hw/access.h"
#include "hw/address.h"

namespace sgxref::hw {

struct TlbEntry {
  uint64_t page = 0;         // linear page (4 KiB aligned)
  uint8_t* bytes = nullptr;  // the EPC page's bytes, so a hit needs no EPC lookup
  uint32_t slot = 0;
  bool r = false;
  bool w = false;
  bool x = false;

  bool allows(Access a) const {
    switch (a) {
      case Access::kRead:
        return r;
      case Access::kWrite:
        return w;
      case Access::kFetch:
        return x;
    }
    return false;
  }
};

class Tlb {
 public:
  Tlb() : table_(kInitialCapacity), cells_(table_.data()), mask_(kInitialCapacity - 1) {}
  Tlb(const Tlb&) = delete;
  Tlb& operator=(const Tlb&) = delete;

  const TlbEntry* find(uint64_t page) const {
    for (size_t i = hash(page) & mask_;; i = (i + 1) & mask_) {
      const Cell& c = cells_[i];
      if (c.gen != gen_) return nullptr;
      if (c.entry.page == page) return &c.entry;
    }
  }

  // Adds the translation, replacing any entry for the same page.
  void insert(const TlbEntry& e) {
    if (2 * (count_ + 1) > table_.size()) grow();
    if (place(e)) ++count_;
  }

  void flush() {
    ++gen_;
    count_ = 0;
  }

  size_t size() const { return count_; }

  // The live entries by linear page, for inspection.
  std::vector<TlbEntry> entries() const {
    std::vector<TlbEntry> out;
    for (const Cell& c : table_) {
      if (c.gen == gen_) out.push_back(c.entry);
    }
    std::sort(out.begin(), out.end(),
              [](const TlbEntry& a, const TlbEntry& b) { return a.page < b.page; });
    return out;
  }

 private:
  static constexpr size_t kInitialCapacity = 64;  // a power of two

  struct Cell {
    uint64_t gen = 0;  // live iff equal to the TLB's generation
    TlbEntry entry;
  };

  static size_t hash(uint64_t page) {
    return size_t(((page >> kPageShift) * 0x9E3779B97F4A7C15ull) >> 32);
  }

  // Returns whether the page was new.
  bool place(const TlbEntry& e) {
    for (size_t i = hash(e.page) & mask_;; i = (i + 1) & mask_) {
      Cell& c = cells_[i];
      if (c.gen != gen_) {
        c = Cell{gen_, e};
        return true;
      }
      if (c.entry.page == e.page) {
        c.entry = e;
        return false;
      }
    }
  }

  void grow() {
    std::vector<Cell> old(table_.size() * 2);
    old.swap(table_);
    cells_ = table_.data();
    mask_ = table_.size() - 1;
    for (const Cell& c : old) {
      if (c.gen == gen_) place(c.entry);
    }
  }

  std::vector<Cell> table_;
  Cell* cells_;  // table_.data() and table_.size() - 1, for the hit path
  size_t mask_;
  uint64_t gen_ = 1;  // cells start at generation 0, so empty
  size_t count_ = 0;
};

}  // namespace sgxref::hw
