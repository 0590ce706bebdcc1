// File: a condition variable over sched::Mutex. A thread that runs free waits on a
// std::condition_variable_any; a thread under a scheduler releases the mutex and reports
// `blocked` on the condition with no scheduling point in between (as a real wait is
// atomic), so a strategy cannot invent a lost wake-up. Waits and notifies are
// scheduling points a strategy can order.
#pragma once

#include <condition_variable>

#include "sched/mutex.h"

namespace sgxref::sched {

class CondVar {
 public:
  explicit CondVar(const char* name) : name_(name) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // One wait: releases `mu`, which the caller holds, and holds it again on return. It
  // may return before any notify, so the caller loops on its condition:
  //   while (!ready) cv.wait(mu);
  // There is no predicate overload: -Wthread-safety analyses a lambda without the
  // lock, while the loop reads the guarded condition visibly under it.
  void wait(Mutex& mu) REQUIRES(mu) {
    Scheduler* s = current();
    if (s == nullptr) {
      cv_.wait(mu.m_);
      return;
    }
    mu.m_.unlock();
    s->released(&mu);
    try {
      s->blocked(this, name_);
      s->at(mu.name_);
      while (!mu.m_.try_lock()) s->blocked(&mu, mu.name_);
    } catch (const Aborted&) {
      // The caller's lock guard unlocks on the way out, so the mutex must be held again
      // (the run has ended, and its holder is unwinding too).
      mu.m_.lock();
      throw;
    }
  }

  // Wakes every waiter, whether it runs free or under a scheduler: the notifier cannot
  // know which.
  void notify_all() {
    if (Scheduler* s = current()) {
      s->at(name_);
      s->released(this);
    }
    cv_.notify_all();
  }

 private:
  std::condition_variable_any cv_;
  const char* name_;
};

}  // namespace sgxref::sched
