// File: how the project's locks meet the scheduler. A thread that runs free takes the
// lock the plain way; under a scheduler it reaches a point first and, while the lock is
// taken, reports `blocked` instead of sleeping, so the strategy runs the holder and
// never waits on a thread it has parked. A release is a point after the fact.
#pragma once

#include "sched/scheduler.h"

namespace sgxref::sched {

template <class Lock, class TryLock>
void acquire(const void* lock_id, const char* name, Lock lock, TryLock try_lock) {
  Scheduler* s = current();
  if (s == nullptr) {
    lock();
    return;
  }
  s->at(name);
  while (!try_lock()) s->blocked(lock_id, name);
}

inline void released_lock(const void* lock_id, const char* name) {
  if (Scheduler* s = current()) s->unlocked(lock_id, name);
}

}  // namespace sgxref::sched
