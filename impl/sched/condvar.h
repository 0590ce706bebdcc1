// File: a condition variable over sched::Mutex. In free mode it is a
// std::condition_variable_any; under a scheduler a wait releases the mutex, reports
// `blocked` on the condition and reacquires, so waits and notifies are scheduling
// points a strategy can order.
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
      cv_.wait(mu.native());
      return;
    }
    mu.unlock();
    s->blocked(this);
    mu.lock();
  }

  void notify_all() {
    if (Scheduler* s = current()) {
      s->at(name_);
      s->released(this);
      return;
    }
    cv_.notify_all();
  }

 private:
  std::condition_variable_any cv_;
  const char* name_;
};

}  // namespace sgxref::sched
