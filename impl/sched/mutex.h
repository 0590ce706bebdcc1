// File: the project's mutex: a std::mutex with clang thread-safety annotations and
// scheduling points before acquiring and after releasing. Under a controlled scheduler
// a contended lock reports `blocked` instead of sleeping in the kernel, so the strategy
// runs the holder and never waits on a thread it has parked.
#pragma once

#include <mutex>

#include "sched/contended.h"
#include "sched/thread_annotations.h"

namespace sgxref::sched {

class CAPABILITY("mutex") Mutex {
 public:
  explicit Mutex(const char* name) : name_(name) {}
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() {
    acquire(this, name_, [this]() NO_THREAD_SAFETY_ANALYSIS { m_.lock(); },
            [this]() NO_THREAD_SAFETY_ANALYSIS { return m_.try_lock(); });
  }

  void unlock() RELEASE() {
    m_.unlock();
    released_lock(this, name_);
  }

  bool try_lock() TRY_ACQUIRE(true) { return m_.try_lock(); }

  const char* name() const { return name_; }

 private:
  friend class CondVar;

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
