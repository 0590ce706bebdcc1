// File: an OS page table: the translation of one process address space from linear
// pages to physical frames, with the present, writable and no-execute bits a page walk
// checks and the Accessed bit it sets. The driver (or a test) owns it and edits it at
// any time; logical CPUs walk the one their CR3 names. Thread-safe without locks: like
// real paging structures it is a 4-level radix tree of atomic entries, so a walk that
// races with an edit sees the PTE either before or after it, never half of it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "hw/address.h"

namespace sgxref::hw {

struct Pte {
  bool present = false;
  bool writable = false;
  bool nx = false;
  PAddr pa = 0;  // the frame, 4 KiB aligned
  // Set by a CPU's successful walk of this PTE; the OS test-and-clears it to age the
  // page for reclaim, as Linux's sgx_reclaimer_age does.
  bool accessed = false;

  bool operator==(const Pte&) const = default;
};

class PageTable {
 public:
  PageTable();
  ~PageTable();
  PageTable(const PageTable&) = delete;
  PageTable& operator=(const PageTable&) = delete;

  // Sets or clears the PTE of the page holding `la`, Accessed bit included, as given.
  // `la` must be canonical.
  void set(LAddr la, const Pte& pte);
  void clear(LAddr la) { set(la, Pte{}); }
  // The PTE of the page holding `la` (not present if it was never set).
  Pte get(LAddr la) const;

  // The page walker's Accessed update for `seen`, a present PTE it read for `la`: sets
  // A in one compare-exchange if the PTE is still `seen` (nothing to do if `seen` has
  // it), and says whether the walk may use `seen`. On false the PTE changed since the
  // read and the walker reads it again: setting A on the new PTE would mark a page the
  // walk never used, and writing `seen` back would undo the edit.
  bool mark_accessed(LAddr la, const Pte& seen);
  // Clears A in the PTE of `la` and returns whether it was set, in one atomic step, so
  // a walk setting A concurrently is never lost (Linux's ptep_test_and_clear_young).
  bool test_and_clear_accessed(LAddr la);

  // Every present PTE, by linear page in ascending order.
  std::vector<std::pair<LAddr, Pte>> entries() const;

 private:
  static constexpr int kLevels = 4;
  static constexpr int kFanout = 512;

  // Levels 3..1 hold children; level 0 holds PTEs in x86 format (P bit 0, R/W bit 1,
  // U/S bit 2, A bit 5, frame in 51:12, XD bit 63).
  struct Node {
    std::array<std::atomic<uint64_t>, kFanout> slots{};
  };

  static uint64_t encode(const Pte& pte);
  static Pte decode(uint64_t raw);
  static int index(LAddr la, int level) { return int((la >> (kPageShift + 9 * level)) & 511); }
  // The level-0 entry of `la`, or nullptr when no PTE of its 2 MiB region was ever set.
  std::atomic<uint64_t>* leaf(LAddr la) const;

  void collect(const Node* n, int level, LAddr prefix,
               std::vector<std::pair<LAddr, Pte>>& out) const;
  static void destroy(Node* n, int level);

  Node root_;
};

}  // namespace sgxref::hw
