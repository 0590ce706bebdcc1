// File: a controlled run. The threads of one test run one at a time, passing a baton,
// and at every decision (a thread reached a point, blocked or ended) a Strategy picks
// who goes on, so a run depends on the strategy and the test alone, never on the OS.
// Every decision is recorded, so any run can be replayed.
//
// A run never hangs: when threads remain and all are blocked (a deadlock, or a wait
// nobody will notify) the run ends with Outcome::End::kDeadlock and the schedule that
// led there, and every waiting thread is woken and leaves by throwing sched::Aborted
// from its scheduling point, unwinding its locks; sched::Thread catches it. The same
// happens on a replay divergence or when a thread's body throws.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "sched/schedule.h"
#include "sched/scheduler.h"
#include "sched/strategy.h"

namespace sgxref::sched {

class Controlled final : public Scheduler {
 public:
  explicit Controlled(std::unique_ptr<Strategy> strategy);
  ~Controlled() override;
  Controlled(const Controlled&) = delete;
  Controlled& operator=(const Controlled&) = delete;

  // Runs `main` as thread 0 ("main") and every sched::Thread it spawns, and those spawn,
  // until all have ended or none can go on. The calling thread only waits; it must not
  // belong to a scheduler. Once per scheduler.
  Outcome run(std::function<void()> main);
  // What run() returned; throws std::logic_error before it.
  const Outcome& outcome() const;

  int add_thread(const char* name) override;
  void started() override;
  void ended(std::exception_ptr error) override;
  void at(const char* point) override;
  void yielded(const char* point) override;
  void blocked(const void* resource, const char* point) override;
  void released(const void* resource) noexcept override;
  void unlocked(const void* resource, const char* point) noexcept override;

 private:
  struct Slot;
  using Lock = std::unique_lock<std::mutex>;

  Slot& self();
  void wake(const void* resource);
  std::optional<int> decide(int current, bool can_continue, bool yielded = false);
  void give(int next);
  void pass(Lock& l, int next);
  void end_run(Outcome::End end, std::string why);
  void leave(Lock& l);

  std::mutex mu_;
  std::condition_variable all_ended_;
  std::unique_ptr<Strategy> strategy_;
  std::vector<std::unique_ptr<Slot>> slots_;  // by thread id
  size_t ended_ = 0;
  bool ran_ = false;
  bool over_ = false;  // the run ended early: every thread leaves
  Outcome outcome_;
};

}  // namespace sgxref::sched
