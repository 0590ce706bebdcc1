// File: who runs on which logical CPU. A task takes a CPU to run (user code, a system
// call, a kernel thread's work) and gives it back when it stops; taking one loads the
// task's page table there and records the CPU in its mm's cpumask, clearing the bit of
// the mm that ran there before, as x86's switch_mm does. A kernel thread has no mm and
// leaves the previous one loaded (lazy TLB), so its bit stays. Taking a CPU is a
// scheduling point, and so is giving one back: that is where the IPI mask of a flow
// can go stale.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/cpu.h"
#include "hw/machine.h"
#include "sched/condvar.h"
#include "sched/mutex.h"

namespace sgxref::kernel {

class Mm;
class Task;

class RunQueue {
 public:
  explicit RunQueue(hw::Machine& m);

  // A free CPU for `t`, waiting while every CPU is taken. The task then runs on it
  // until give_back.
  hw::Cpu& take(Task& t) EXCLUDES(mu_);
  void give_back(Task& t) EXCLUDES(mu_);

  // `mm` is going away: no CPU counts it as loaded any more (the page table a CPU
  // still names is never walked again: the next task to run there loads its own).
  void forget(Mm* mm) EXCLUDES(mu_);

 private:
  hw::Machine& m_;
  mutable sched::Mutex mu_{"kernel.runqueue"};
  sched::CondVar freed_{"kernel.runqueue.freed"};
  std::vector<bool> busy_ GUARDED_BY(mu_);
  std::vector<Mm*> loaded_ GUARDED_BY(mu_);
};

// Holds a CPU for the current task for a scope, unless it already holds one (a system
// call made while running, a fault taken by a running task).
class CpuHold {
 public:
  CpuHold();
  ~CpuHold();
  CpuHold(const CpuHold&) = delete;
  CpuHold& operator=(const CpuHold&) = delete;

 private:
  bool took_ = false;
};

}  // namespace sgxref::kernel
