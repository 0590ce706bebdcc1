#include "kernel/fault_inject.h"

namespace sgxref::kernel {

void FaultInjection::enable(FailPoint p, int percent, uint64_t seed) {
  sched::MutexLock l(mu_);
  percent_[size_t(p)] = percent;
  rng_.seed(seed);
  bool any = false;
  for (int v : percent_) any = any || v > 0;
  any_.store(any, std::memory_order_relaxed);
}

void FaultInjection::disable_all() {
  sched::MutexLock l(mu_);
  percent_.fill(0);
  any_.store(false, std::memory_order_relaxed);
}

bool FaultInjection::draw(FailPoint p) {
  sched::MutexLock l(mu_);
  const int percent = percent_[size_t(p)];
  if (percent <= 0 || int(rng_() % 100) >= percent) return false;
  ++failures_[size_t(p)];
  return true;
}

uint64_t FaultInjection::failures(FailPoint p) const {
  sched::MutexLock l(mu_);
  return failures_[size_t(p)];
}

}  // namespace sgxref::kernel
