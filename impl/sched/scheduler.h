// File: the scheduling-point API and the interface every scheduler implements. Code
// under test marks each place where another thread may interleave with
// sched::point("name"). A thread belongs to at most one scheduler, which it joins by
// being started as a sched::Thread, so a scheduler belongs to a machine's threads, not to
// the process, and two machines with two schedulers run side by side. A thread that
// belongs to none runs free (production): a point is one thread-local load and a test.
// The threads that share a controlled run's locks must all belong to it: a free thread's
// unlock would not wake a thread the run has blocked.
#pragma once

#include <exception>

namespace sgxref::sched {

// Thrown out of a scheduling point (at(), blocked()) when a controlled run has ended
// under the thread's feet (deadlock, replay divergence, another thread threw), so that
// every thread of the run unwinds instead of waiting forever. It is deliberately not a
// std::exception: only sched::Thread catches it. Code under test lets it pass; that is
// why everything that holds a lock across a point releases it by RAII.
struct Aborted {};

// A strategy (controlled runs, PauseAt, recorders in tests) implements this. Every call
// is made by a thread of the scheduler about itself, except add_thread (made by the
// thread that spawns).
class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // A thread is being spawned onto this scheduler; returns its id. Called by the
  // spawning thread before the new thread exists, so ids follow program order.
  virtual int add_thread(const char* name) = 0;
  // The new thread's first act: it may wait here until the scheduler lets it run.
  virtual void started() = 0;
  // The thread's last act; `error` is what its body threw (null if it returned or
  // was aborted).
  virtual void ended(std::exception_ptr error) = 0;

  // The calling thread reached a named scheduling point and may be preempted here.
  // May throw Aborted.
  virtual void at(const char* point) = 0;
  // As at(), from a thread that spins waiting for another to make progress (a fault
  // retried until a page is back, a lock dropped and retaken): a strategy that could
  // otherwise run it forever lets the others go first. May throw Aborted.
  virtual void yielded(const char* point) { at(point); }
  // The calling thread cannot make progress until `resource` changes (a held mutex,
  // a condition variable it waits on, a thread it joins); `point` names what it waits
  // for. The strategy runs someone else and returns when the caller should retry. May
  // throw Aborted.
  virtual void blocked(const void* resource, const char* point) = 0;
  // `resource` changed (condition notified, thread ended): threads blocked on it may be
  // runnable again. Not a scheduling point.
  virtual void released(const void* resource) noexcept = 0;
  // As released(), then a scheduling point named `point`. Unlocks call it, from
  // destructors, so it never throws: after a run has ended it returns and the thread
  // runs on to its next at().
  virtual void unlocked(const void* resource, const char* point) noexcept = 0;
};

namespace detail {
// The calling thread's scheduler and its id there (null and -1: the thread runs free).
// constinit keeps access a plain TLS load, with no initialisation guard.
inline constinit thread_local Scheduler* t_scheduler = nullptr;
inline constinit thread_local int t_id = -1;
}  // namespace detail

inline Scheduler* current() { return detail::t_scheduler; }

// The calling thread's id in its scheduler, or -1 if it runs free.
inline int this_thread_id() { return detail::t_id; }

inline void point(const char* name) {
  if (Scheduler* s = current()) s->at(name);
}

// A scheduling point of a spin-wait (see Scheduler::yielded).
inline void yield(const char* name) {
  if (Scheduler* s = current()) s->yielded(name);
}

}  // namespace sgxref::sched
