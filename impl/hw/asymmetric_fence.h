// File: an asymmetric Dekker handshake, for a flag pair where one side runs constantly
// and the other rarely (a CPU's TLB hits vs. an interrupt; see cpu.h). Each side stores
// its own flag and then loads the other's; at least one must see the other's store.
// The frequent side pays only a compiler barrier between the two; the rare side pays
// membarrier(2), which makes every running thread of the process execute a full
// barrier. Where the kernel lacks MEMBARRIER_CMD_PRIVATE_EXPEDITED both sides use
// sequentially consistent stores and loads instead. Every Cpu learns which at
// construction, before any thread drives or interrupts it, so both sides agree.
#pragma once

#include <atomic>

namespace sgxref::hw {

// Whether membarrier(PRIVATE_EXPEDITED) is registered for this process (tried once).
bool asymmetric_fence_available();

// The frequent side's store, ordered before its next seq_cst load.
inline void light_store(std::atomic<bool>& flag, bool value, bool asymmetric) {
  if (asymmetric) {
    flag.store(value, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    flag.store(value, std::memory_order_seq_cst);
  }
}

// The rare side, between its seq_cst store and its seq_cst load.
void heavy_barrier(bool asymmetric);

}  // namespace sgxref::hw
