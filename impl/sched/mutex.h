// File: the project's mutex: a std::mutex with clang thread-safety annotations and
// scheduling points before acquiring and after releasing. Under an installed scheduler
// a contended lock reports `blocked` instead of sleeping in the kernel, so a
// deterministic strategy never deadlocks on a thread it has parked.
#pragma once

#include <mutex>

#include "sched/scheduler.h"
#include "sched/thread_annotations.h"

namespace sgxref::sched {

class CAPABILITY("mutex") Mutex {
 public:
  explicit Mutex(const char* name) : name_(name) {}
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() {
    Scheduler* s = current();
    if (s == nullptr) {
      m_.lock();
      return;
    }
    s->at(name_);
    while (!m_.try_lock()) s->blocked(this);
  }

  void unlock() RELEASE() {
    m_.unlock();
    if (Scheduler* s = current()) {
      s->released(this);
      s->at(name_);
    }
  }

  bool try_lock() TRY_ACQUIRE(true) { return m_.try_lock(); }

  const char* name() const { return name_; }

  // For CondVar, which must wait on the underlying std::mutex in free mode.
  std::mutex& native() { return m_; }

 private:
  std::mutex m_;
  const char* name_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace sgxref::sched
