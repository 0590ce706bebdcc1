// File: the project's reader-writer lock (the kernel slice's mmap_lock): a
// std::shared_mutex with clang thread-safety annotations for exclusive and shared
// holders, and the same scheduling points as sched::Mutex: one before acquiring, one
// after releasing, and `blocked` instead of sleeping under a controlled scheduler.
#pragma once

#include <shared_mutex>

#include "sched/contended.h"
#include "sched/thread_annotations.h"

namespace sgxref::sched {

class CAPABILITY("mutex") RwMutex {
 public:
  explicit RwMutex(const char* name) : name_(name) {}
  RwMutex(const RwMutex&) = delete;
  RwMutex& operator=(const RwMutex&) = delete;

  void lock() ACQUIRE() {
    acquire(this, name_, [this]() NO_THREAD_SAFETY_ANALYSIS { m_.lock(); },
            [this]() NO_THREAD_SAFETY_ANALYSIS { return m_.try_lock(); });
  }

  void unlock() RELEASE() {
    m_.unlock();
    released_lock(this, name_);
  }

  void lock_shared() ACQUIRE_SHARED() {
    acquire(this, name_, [this]() NO_THREAD_SAFETY_ANALYSIS { m_.lock_shared(); },
            [this]() NO_THREAD_SAFETY_ANALYSIS { return m_.try_lock_shared(); });
  }

  void unlock_shared() RELEASE_SHARED() {
    m_.unlock_shared();
    released_lock(this, name_);
  }

  bool try_lock() TRY_ACQUIRE(true) { return m_.try_lock(); }
  // Tells the analysis that a caller up the stack holds the lock at least for reading,
  // where an interface cannot say so (mmap_assert_locked in a fault handler).
  void assert_held_shared() const ASSERT_SHARED_CAPABILITY(this) {}
  bool try_lock_shared() TRY_ACQUIRE_SHARED(true) { return m_.try_lock_shared(); }

  const char* name() const { return name_; }

 private:
  std::shared_mutex m_;
  const char* name_;
};

class SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(RwMutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~WriterLock() RELEASE() { mu_.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  RwMutex& mu_;
};

class SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(RwMutex& mu) ACQUIRE_SHARED(mu) : mu_(mu) { mu_.lock_shared(); }
  ~ReaderLock() RELEASE() { mu_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  RwMutex& mu_;
};

}  // namespace sgxref::sched
