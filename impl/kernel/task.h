// File: a task (Linux's task_struct, reduced): the thread of a process, or a kernel
// thread, with the CPU it runs on while it runs and a pending-signal flag. The host
// thread that plays a task makes it `current` for as long as it plays it (TaskScope).
#pragma once

#include <atomic>
#include <stdexcept>
#include <string>

#include "hw/cpu.h"

namespace sgxref::kernel {

class Kernel;
class Mm;
class Process;

class Task {
 public:
  // A user thread of `p`.
  Task(Process& p, std::string name);
  // A kernel thread: no process, no mm.
  Task(Kernel& k, std::string name);
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  Kernel& kernel() const { return k_; }
  Process* process() const { return p_; }
  Mm* mm() const { return mm_; }
  const std::string& name() const { return name_; }

  // The CPU this task runs on, or nullptr between runs (RunQueue sets it).
  hw::Cpu* cpu() const { return cpu_; }
  void set_cpu(hw::Cpu* c) { cpu_ = c; }

  // A signal for this task (kill): system calls that wait or loop notice it.
  void send_signal() { signal_.store(true, std::memory_order_release); }
  void clear_signal() { signal_.store(false, std::memory_order_release); }
  // signal_pending(): a signal was sent, or fault injection (signal.pending) says so.
  bool signal_pending() const;

 private:
  Kernel& k_;
  Process* p_ = nullptr;
  Mm* mm_ = nullptr;
  std::string name_;
  hw::Cpu* cpu_ = nullptr;
  std::atomic<bool> signal_{false};
};

namespace detail {
inline constinit thread_local Task* t_current = nullptr;
}

// The task the calling host thread plays; throws if it plays none, since kernel code
// run outside any task is a harness bug.
inline Task& current() {
  if (detail::t_current == nullptr) throw std::logic_error("kernel code run outside a task");
  return *detail::t_current;
}

// The CPU the current task runs on (smp_processor_id's CPU); throws if it holds none.
hw::Cpu& this_cpu();

class TaskScope {
 public:
  explicit TaskScope(Task& t) : prev_(detail::t_current) { detail::t_current = &t; }
  ~TaskScope() { detail::t_current = prev_; }
  TaskScope(const TaskScope&) = delete;
  TaskScope& operator=(const TaskScope&) = delete;

 private:
  Task* prev_;
};

}  // namespace sgxref::kernel
