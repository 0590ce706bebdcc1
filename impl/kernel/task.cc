#include "kernel/task.h"

#include "kernel/kernel.h"
#include "kernel/process.h"

namespace sgxref::kernel {

Task::Task(Process& p, std::string name)
    : k_(p.kernel()), p_(&p), mm_(&p.mm()), name_(std::move(name)) {}

Task::Task(Kernel& k, std::string name) : k_(k), name_(std::move(name)) {}

bool Task::signal_pending() const {
  return signal_.load(std::memory_order_acquire) ||
         k_.faults().should_fail(FailPoint::kSignalPending);
}

hw::Cpu& this_cpu() {
  hw::Cpu* c = current().cpu();
  if (c == nullptr) throw std::logic_error("kernel code run by a task that holds no CPU");
  return *c;
}

}  // namespace sgxref::kernel
