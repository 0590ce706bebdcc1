#include "kernel/run_queue.h"

#include <stdexcept>

#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/task.h"

namespace sgxref::kernel {

RunQueue::RunQueue(hw::Machine& m)
    : m_(m), busy_(m.cpu_count(), false), loaded_(m.cpu_count(), nullptr) {}

hw::Cpu& RunQueue::take(Task& t) {
  sched::MutexLock l(mu_);
  uint32_t cpu = 0;
  for (;;) {
    for (cpu = 0; cpu < busy_.size() && busy_[cpu]; ++cpu) {
    }
    if (cpu < busy_.size()) break;
    freed_.wait(mu_);
  }
  busy_[cpu] = true;
  hw::Cpu& c = m_.cpu(cpu);
  Mm* mm = t.mm();
  if (mm != nullptr && loaded_[cpu] != mm) {
    if (loaded_[cpu] != nullptr) loaded_[cpu]->cpumask_clear(cpu);
    // Set before CR3 is loaded, as switch_mm does, so a flush that misses the bit
    // cannot miss the CPU's first walk of the new page table.
    mm->cpumask_set(cpu);
    if (!c.set_page_table(&mm->page_table())) {
      throw std::logic_error("a CPU was handed back inside an enclave");
    }
    loaded_[cpu] = mm;
  }
  t.set_cpu(&c);
  return c;
}

void RunQueue::give_back(Task& t) {
  sched::MutexLock l(mu_);
  busy_[t.cpu()->id()] = false;
  t.set_cpu(nullptr);
  freed_.notify_all();
}

void RunQueue::forget(Mm* mm) {
  sched::MutexLock l(mu_);
  for (Mm*& loaded : loaded_) {
    if (loaded == mm) loaded = nullptr;
  }
}

CpuHold::CpuHold() {
  Task& t = current();
  if (t.cpu() != nullptr) return;
  t.kernel().run_queue().take(t);
  took_ = true;
}

CpuHold::~CpuHold() {
  if (took_) current().kernel().run_queue().give_back(current());
}

}  // namespace sgxref::kernel
