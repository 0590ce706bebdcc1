// File: a kernel thread and the wait queue it sleeps on. The thread is a sched::Thread
// playing a kernel Task, so it runs free in production and under a test's strategy in a
// controlled run; kthread_stop wakes it and waits for it to return.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "kernel/task.h"
#include "sched/condvar.h"
#include "sched/mutex.h"
#include "sched/thread.h"

namespace sgxref::kernel {

class Kernel;

class WaitQueue {
 public:
  explicit WaitQueue(const char* name) : cv_(name) {}

  // Sleeps until `cond` holds; `cond` reads state its wakers change before wake_up.
  template <typename Cond>
  void wait_event(const Cond& cond) EXCLUDES(mu_) {
    sched::MutexLock l(mu_);
    while (!cond()) cv_.wait(mu_);
  }
  void wake_up() EXCLUDES(mu_) {
    sched::MutexLock l(mu_);
    cv_.notify_all();
  }

 private:
  sched::Mutex mu_{"waitqueue"};
  sched::CondVar cv_;
};

class Kthread {
 public:
  // Starts `fn` as kernel thread `name`; `sleeps_on` is the queue stop() wakes it on.
  Kthread(Kernel& k, const char* name, WaitQueue& sleeps_on, std::function<void()> fn);
  // stop(), if not stopped.
  ~Kthread();
  Kthread(const Kthread&) = delete;
  Kthread& operator=(const Kthread&) = delete;

  // kthread_stop: tells the thread to stop, wakes it and waits until it has returned.
  void stop();

 private:
  friend bool kthread_should_stop();

  Task task_;
  WaitQueue& wq_;
  std::atomic<bool> should_stop_{false};
  std::unique_ptr<sched::Thread> thread_;
};

// In a kernel thread: whether it has been told to stop (or fault injection,
// ksgxd.stopped, says so). False in any other task.
bool kthread_should_stop();

}  // namespace sgxref::kernel
