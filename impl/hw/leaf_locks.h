// File: the architectural locks one leaf holds (page_locks.h). A leaf takes them with
// Machine::lock_page under the state mutex as its checks reach each operand, in the
// SDM's order; they are all released when the leaf returns, however it returns.
#pragma once

#include <array>
#include <cstdint>

#include "hw/page_locks.h"

namespace sgxref::hw {

class Machine;

class LeafLocks {
 public:
  explicit LeafLocks(Machine& m) : m_(m) {}
  ~LeafLocks();
  LeafLocks(const LeafLocks&) = delete;
  LeafLocks& operator=(const LeafLocks&) = delete;

 private:
  friend class Machine;
  struct Held {
    uint32_t slot;
    LockKind kind;
  };
  Machine& m_;
  std::array<Held, 6> held_{};
  int n_ = 0;
};

}  // namespace sgxref::hw
