// File: the architectural locks one leaf holds (page_locks.h). A leaf takes them with
// MachineState::lock_page under the state mutex as its checks reach each operand, in the
// SDM's order; they are all released when the leaf returns, however it returns: by
// MachineState::unlock_pages in the critical section of its commit, or else by the
// destructor.
#pragma once

#include <array>
#include <cstdint>

#include "hw/page_locks.h"

namespace sgxref::hw {

class MachineState;

class LeafLocks {
 public:
  explicit LeafLocks(MachineState& m) : m_(m) {}
  ~LeafLocks();
  LeafLocks(const LeafLocks&) = delete;
  LeafLocks& operator=(const LeafLocks&) = delete;

 private:
  friend class MachineState;
  struct Held {
    uint32_t slot;
    LockKind kind;
  };
  MachineState& m_;
  std::array<Held, 6> held_;  // the first n_ are held
  int n_ = 0;
};

}  // namespace sgxref::hw
