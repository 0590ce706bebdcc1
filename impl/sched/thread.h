// File: sched::Thread, a std::thread that belongs to a scheduler from its first
// instruction. Kernel and test code start every thread of a machine this way, so the
// same code runs free (no scheduler) and under any strategy.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "sched/scheduler.h"

namespace sgxref::sched {

class Thread {
 public:
  // Starts `body` on a new thread of the calling thread's scheduler (free if it has
  // none), as a kthread inherits its creator's machine.
  Thread(const char* name, std::function<void()> body);
  // Starts `body` on a new thread of `s` (nullptr: free). A controlled scheduler takes
  // new threads only from its own threads, so that ids follow program order.
  Thread(Scheduler* s, const char* name, std::function<void()> body);
  // Joins, as join() does; if the run ends meanwhile (see Controlled), waits for the
  // thread to unwind rather than throw out of a destructor.
  ~Thread();
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;

  // Waits for the thread to end. A joiner of the same scheduler reports `blocked`
  // (point "join") instead of sleeping, so the strategy can run the thread it waits for;
  // it may throw Aborted as any point does.
  void join();

  // The thread's id in its scheduler, -1 if it runs free.
  int id() const { return id_; }

 private:
  void run(const std::function<void()>& body);

  Scheduler* s_;
  int id_ = -1;
  std::atomic<bool> done_{false};
  std::thread t_;
};

}  // namespace sgxref::sched
