// File: ordinary (non-EPC) physical memory: 4 KiB frames the kernel side allocates
// for PAGEINFO/SECINFO/SIGSTRUCT blocks, source pages, backing store and user memory.
// Frames are allocated lazily; a frame that is not allocated is unmapped.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "hw/address.h"
#include "sched/mutex.h"

namespace sgxref::hw {

class Ram {
 public:
  explicit Ram(uint32_t frames);
  Ram(const Ram&) = delete;
  Ram& operator=(const Ram&) = delete;
  ~Ram();

  // A zeroed frame, or 0 when RAM is exhausted.
  PAddr alloc() EXCLUDES(mu_);
  // Returns `pa`'s frame to the pool; it reads as unmapped afterwards.
  void free(PAddr pa) EXCLUDES(mu_);

  // The bytes of the frame holding `pa`, or nullptr if `pa` is not allocated RAM.
  uint8_t* frame(PAddr pa) const {
    if (pa < kRamBase) return nullptr;
    const uint64_t i = (pa - kRamBase) >> kPageShift;
    if (i >= frames_.size()) return nullptr;
    return frames_[i].load(std::memory_order_acquire);
  }

  uint32_t frames_in_use() const EXCLUDES(mu_);

 private:
  std::vector<std::atomic<uint8_t*>> frames_;
  mutable sched::Mutex mu_{"hw.ram"};
  std::vector<uint32_t> free_list_ GUARDED_BY(mu_);
  uint32_t next_unused_ GUARDED_BY(mu_) = 0;
  uint32_t in_use_ GUARDED_BY(mu_) = 0;
};

}  // namespace sgxref::hw
