#include "hw/machine_state.h"

namespace sgxref::hw {

MachineState::MachineState(const Config& cfg)
    : epc_(cfg.epc_pages),
      leaf_counts_(std::make_unique<LeafCounts[]>(cfg.cpus)),
      paging_cipher_(derive_base_pk(cfg.seed)) {
  sched::MutexLock l(mu_);
  cpu_tracking_.resize(cfg.cpus);
}

void MachineState::count(uint32_t cpu, int leaf, const Result& r) {
  // The CPU's driving thread is the only writer: a load and a store, where an atomic
  // increment would cost a locked instruction on every leaf.
  const auto bump = [](std::atomic<uint64_t>& n) {
    n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  };
  LeafCounts& n = leaf_counts_[cpu];
  bump(n.calls[leaf]);
  if (r.faulted()) {
    bump(n.faults[leaf]);
  } else if (r.code != SgxCode::kSuccess) {
    bump(n.codes[leaf]);
  }
}

}  // namespace sgxref::hw
