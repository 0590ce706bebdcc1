// File: a test scheduler that only watches: its threads run free, and it counts how many
// times they pass the emulator's "ipi.deliver" point, i.e. how many IPIs the kernel
// sent (Machine::ipi reaches it once per target CPU, in enclave mode or not).
#pragma once

#include <atomic>
#include <cstring>
#include <functional>
#include <thread>

#include "sched/scheduler.h"
#include "sched/thread.h"

namespace sgxref::kernel::test {

class IpiCounter : public sched::Scheduler {
 public:
  // Runs `body` on a thread of this scheduler and waits for it.
  void run(std::function<void()> body) {
    sched::Thread t(this, "watched", std::move(body));
    t.join();
  }
  int ipis() const { return ipis_.load(); }
  void reset() { ipis_.store(0); }

  int add_thread(const char*) override { return threads_.fetch_add(1); }
  void started() override {}
  void ended(std::exception_ptr error) override {
    if (error) std::rethrow_exception(error);
  }
  void at(const char* point) override {
    if (std::strcmp(point, "ipi.deliver") == 0) ipis_.fetch_add(1);
  }
  void blocked(const void*, const char*) override { std::this_thread::yield(); }
  void released(const void*) noexcept override {}
  void unlocked(const void*, const char*) noexcept override {}

 private:
  std::atomic<int> ipis_{0};
  std::atomic<int> threads_{0};
};

}  // namespace sgxref::kernel::test
