// File: named fault-injection points, the kernel slice's failslab/fail_page_alloc. Code
// asks `should_fail(point)` where Linux could fail (an allocation, a copy from user
// space midway, a pending signal); in production every point is off and the question
// costs one load. A test switches points on with a probability and a seed, so a run
// that fails somewhere fails there again from the same seed.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <random>

#include "sched/mutex.h"

namespace sgxref::kernel {

enum class FailPoint : int {
  kBackingAlloc,   // a page of an enclave's backing file (shmem)
  kEpcAlloc,       // an EPC page for an enclave page or a SECS
  kVaAlloc,        // an EPC page for a Version Array
  kKmalloc,        // a small allocation (an enclave page's record, a VA page's)
  kCopyFromUser,   // copy_from_user stops partway
  kSignalPending,  // the task has a signal pending
  kKsgxdStopped,   // ksgxd has been told to stop
  kCount
};

inline constexpr std::array<const char*, size_t(FailPoint::kCount)> kFailPointNames = {
    "backing.alloc", "epc.alloc", "va.alloc", "kmalloc",
    "copy_from_user", "signal.pending", "ksgxd.stopped"};

class FaultInjection {
 public:
  // Fails `p` with probability percent / 100 from now on (0 switches it off).
  void enable(FailPoint p, int percent, uint64_t seed) EXCLUDES(mu_);
  void disable_all() EXCLUDES(mu_);

  // Whether the operation at `p` fails this time; counts it when it does.
  bool should_fail(FailPoint p) EXCLUDES(mu_) {
    if (!any_.load(std::memory_order_relaxed)) return false;
    return draw(p);
  }
  uint64_t failures(FailPoint p) const EXCLUDES(mu_);

 private:
  bool draw(FailPoint p) EXCLUDES(mu_);

  std::atomic<bool> any_{false};
  mutable sched::Mutex mu_{"kernel.failslab"};
  std::array<int, size_t(FailPoint::kCount)> percent_ GUARDED_BY(mu_){};
  std::array<uint64_t, size_t(FailPoint::kCount)> failures_ GUARDED_BY(mu_){};
  std::mt19937_64 rng_ GUARDED_BY(mu_);
};

}  // namespace sgxref::kernel
