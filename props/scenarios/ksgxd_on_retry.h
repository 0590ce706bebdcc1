// File: ksgxd for a sequential world whose ksgxd runs in manual mode. A fault that
// cannot have a page now (an accounting group at its limit: Linux v16's
// __sgx_cgroup_try_charge with SGX_NO_RECLAIM; no EPC page free without reclaim) queues
// the work or wakes ksgxd and answers VM_FAULT_NOPAGE, and the thread runs the access
// again until ksgxd has done that work. With no ksgxd thread beside it, the enclave call
// runs on a thread of this scheduler, and each time it spins (a yield at the retry)
// ksgxd takes a step first, on that thread under a task of its own: the order a free
// ksgxd would give, with nothing else running. Without gtest: the uapi properties and
// the Python bindings use it.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>

#include "driver/main.h"
#include "kernel/kernel.h"
#include "kernel/process.h"
#include "sched/scheduler.h"

namespace sgxref::scenarios {

class KsgxdOnRetry : public sched::Scheduler {
 public:
  // `patience`: the retries a call takes before ksgxd steps at each further one. 0 steps
  // at every retry; more leaves a call that faults a few times as a free-running
  // scenario would run it (ksgxd answered only between calls), and still ends a spin.
  KsgxdOnRetry(kernel::Kernel& k, driver::Sgx& sgx, uint64_t patience = 0)
      : kernel_(k), sgx_(sgx), patience_(patience) {}

  // Runs `body` as a task of `process` on a thread of this scheduler and waits for it;
  // what it threw is thrown here.
  void run(kernel::Process& process, const std::function<void()>& body);
  // The ksgxd steps taken for the calls so far.
  uint64_t steps() const { return steps_; }
  // One ksgxd step on this thread, under a task of its own: the batches it ran.
  int step();

  int add_thread(const char*) override { return 0; }
  void started() override {}
  void ended(std::exception_ptr error) override { error_ = error; }
  void at(const char*) override {}
  void yielded(const char* point) override;
  void blocked(const void* resource, const char* point) override;
  void released(const void*) noexcept override {}
  void unlocked(const void*, const char*) noexcept override {}

 private:
  kernel::Kernel& kernel_;
  driver::Sgx& sgx_;
  const uint64_t patience_;
  uint64_t steps_ = 0;
  uint64_t spins_ = 0;  // in the call running
  std::exception_ptr error_;
};

}  // namespace sgxref::scenarios
