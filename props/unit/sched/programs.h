// Small concurrent programs the strategy tests run, each written once and run free or
// under any strategy, and a watchdog that turns a hung scheduler into a failure.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "sched/controlled.h"
#include "sched/mutex.h"
#include "sched/scheduler.h"
#include "sched/thread.h"

namespace sgxref::sched::test {

// Aborts the test binary if still armed after `limit`: a scheduler that hangs must fail
// the suite, not stall it.
class Watchdog {
 public:
  explicit Watchdog(std::string what, std::chrono::seconds limit = std::chrono::seconds(60))
      : what_(std::move(what)), t_([this, limit] {
          std::unique_lock<std::mutex> l(mu_);
          if (!cv_.wait_for(l, limit, [this] { return disarmed_; })) {
            std::fprintf(stderr, "%s: still running after %lld s; the scheduler hung\n",
                         what_.c_str(), static_cast<long long>(limit.count()));
            std::abort();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> l(mu_);
      disarmed_ = true;
    }
    cv_.notify_all();
    t_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::string what_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool disarmed_ = false;
  std::thread t_;
};

// Two threads each add one to a counter, reading it and writing it back in two critical
// sections: the update is lost when the other thread reads between one's read and its
// write, which takes a preemption (at "counter.between" or at a lock point) to show.
class LostUpdate {
 public:
  void run() {
    Thread a("a", [this] { add_one(); });
    Thread b("b", [this] { add_one(); });
  }
  int value() {
    MutexLock l(mu_);
    return value_;
  }

 private:
  void add_one() {
    int seen = 0;
    {
      MutexLock l(mu_);
      seen = value_;
    }
    point("counter.between");
    MutexLock l(mu_);
    value_ = seen + 1;
  }

  Mutex mu_{"counter"};
  int value_ GUARDED_BY(mu_) = 0;
};

// Thread "A" passes points a1 and a2 and "B" passes b1 and b2; each appends its letter
// to `log` before, between and after its points. main joins A, then B.
class TwoByTwo {
 public:
  void run() {
    Thread a("A", [this] { steps('A', "a1", "a2"); });
    Thread b("B", [this] { steps('B', "b1", "b2"); });
  }
  // Only one thread of a controlled run moves at a time, and the baton orders them.
  std::string log;

 private:
  void steps(char who, const char* first, const char* second) {
    log += who;
    point(first);
    log += who;
    point(second);
    log += who;
  }
};

// Runs `program` under `strategy` and returns the outcome; the watchdog catches a hang.
template <typename Program>
Outcome run_under(std::unique_ptr<Strategy> strategy, Program& program) {
  Watchdog dog(::testing::UnitTest::GetInstance()->current_test_info()->name());
  Controlled s(std::move(strategy));
  return s.run([&] { program.run(); });
}

}  // namespace sgxref::sched::test
