// File: the scheduling-point API. Code under test marks every place where another
// thread may interleave with sched::point("name"); a Scheduler installed for a test
// decides who runs next. With no scheduler installed (free mode) a point is one
// relaxed atomic load.
#pragma once

#include <atomic>

namespace sgxref::sched {

// A strategy (free, random, PCT, replay, exhaustive) implements this. Every call is
// made by the thread that reached the point, never while it holds an internal lock of
// the scheduler itself.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // The calling thread reached a named scheduling point and may be preempted here.
  virtual void at(const char* point) = 0;
  // The calling thread cannot make progress until `resource` changes (a held mutex,
  // a condition variable it waits on). The strategy runs someone else and returns
  // when the caller should retry.
  virtual void blocked(const void* resource) = 0;
  // `resource` changed (mutex released, condition notified): threads blocked on it may
  // be runnable again.
  virtual void released(const void* resource) = 0;
};

namespace detail {
extern std::atomic<Scheduler*> g_scheduler;
}

inline Scheduler* current() { return detail::g_scheduler.load(std::memory_order_acquire); }

// Installs `s` for the whole process (nullptr returns to free mode). Tests install a
// scheduler before starting the threads it controls and remove it after joining them.
void install(Scheduler* s);

inline void point(const char* name) {
  if (Scheduler* s = current()) s->at(name);
}

// Installs a scheduler for the lifetime of the guard.
class ScopedScheduler {
 public:
  explicit ScopedScheduler(Scheduler* s) { install(s); }
  ~ScopedScheduler() { install(nullptr); }
  ScopedScheduler(const ScopedScheduler&) = delete;
  ScopedScheduler& operator=(const ScopedScheduler&) = delete;
};

}  // namespace sgxref::sched
