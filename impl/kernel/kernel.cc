#include "kernel/kernel.h"

#include "kernel/task.h"
#include "sched/scheduler.h"

namespace sgxref::kernel {

void Kernel::ipi_mask(uint64_t mask) {
  const hw::Cpu* self = detail::t_current != nullptr ? detail::t_current->cpu() : nullptr;
  for (uint32_t cpu = 0; cpu < m_.cpu_count() && cpu < 64; ++cpu) {
    if ((mask >> cpu & 1) == 0 || (self != nullptr && self->id() == cpu)) continue;
    m_.ipi(cpu);
  }
  sched::point("ipi_mask.end");
}

void Kernel::register_device(const std::string& name, FileOps& ops) {
  sched::MutexLock l(mu_);
  devices_[name] = &ops;
}

void Kernel::unregister_device(const std::string& name) {
  sched::MutexLock l(mu_);
  devices_.erase(name);
}

FileOps* Kernel::device(const std::string& name) const {
  sched::MutexLock l(mu_);
  const auto it = devices_.find(name);
  return it == devices_.end() ? nullptr : it->second;
}

}  // namespace sgxref::kernel
