#include "kernel/shmem.h"

namespace sgxref::kernel {

ShmemFile::ShmemFile(hw::Machine& m, FaultInjection& faults, uint64_t size)
    : m_(m), faults_(faults), size_(size) {}

ShmemFile::~ShmemFile() {
  sched::MutexLock l(mu_);
  for (const auto& [index, frame] : pages_) m_.ram().free(frame);
}

hw::PAddr ShmemFile::get_page(uint64_t index) {
  if (index >= (size_ + hw::kPageSize - 1) / hw::kPageSize) return 0;
  sched::MutexLock l(mu_);
  if (const auto it = pages_.find(index); it != pages_.end()) return it->second;
  if (faults_.should_fail(FailPoint::kBackingAlloc)) return 0;
  const hw::PAddr frame = m_.ram().alloc();
  if (frame != 0) pages_.emplace(index, frame);
  return frame;
}

hw::PAddr ShmemFile::find_page(uint64_t index) const {
  sched::MutexLock l(mu_);
  const auto it = pages_.find(index);
  return it == pages_.end() ? 0 : it->second;
}

void ShmemFile::truncate_page(uint64_t index) {
  sched::MutexLock l(mu_);
  const auto it = pages_.find(index);
  if (it == pages_.end()) return;
  m_.ram().free(it->second);
  pages_.erase(it);
}

uint64_t ShmemFile::pages_in_use() const {
  sched::MutexLock l(mu_);
  return pages_.size();
}

}  // namespace sgxref::kernel
