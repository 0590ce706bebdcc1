#include "hw/ram.h"

#include <cstring>

namespace sgxref::hw {

Ram::Ram(uint32_t frames) : frames_(frames) {}

Ram::~Ram() {
  for (auto& f : frames_) delete[] f.load(std::memory_order_relaxed);
}

PAddr Ram::alloc() {
  sched::MutexLock l(mu_);
  uint32_t i;
  if (!free_list_.empty()) {
    // LIFO reuse keeps addresses deterministic for a given sequence of calls.
    i = free_list_.back();
    free_list_.pop_back();
  } else if (next_unused_ < frames_.size()) {
    i = next_unused_++;
  } else {
    return 0;
  }
  auto* bytes = new uint8_t[kPageSize];
  std::memset(bytes, 0, kPageSize);
  frames_[i].store(bytes, std::memory_order_release);
  ++in_use_;
  return kRamBase + (uint64_t(i) << kPageShift);
}

void Ram::free(PAddr pa) {
  sched::MutexLock l(mu_);
  if (pa < kRamBase) return;
  const uint64_t i = (pa - kRamBase) >> kPageShift;
  if (i >= frames_.size()) return;
  uint8_t* bytes = frames_[i].exchange(nullptr, std::memory_order_acq_rel);
  if (bytes == nullptr) return;
  delete[] bytes;
  free_list_.push_back(uint32_t(i));
  --in_use_;
}

uint32_t Ram::frames_in_use() const {
  sched::MutexLock l(mu_);
  return in_use_;
}

}  // namespace sgxref::hw
