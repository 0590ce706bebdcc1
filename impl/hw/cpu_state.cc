// The logical CPU's register file, CR3 and interrupt delivery.
#include <thread>

#include "hw/cpu.h"
#include "hw/machine.h"

namespace sgxref::hw {

Registers Cpu::regs() const {
  sched::MutexLock l(cpu_mu_);
  return regs_;
}

Result Cpu::set_regs(const Registers& r) {
  sched::MutexLock l(cpu_mu_);
  if (take_interrupt_locked()) return Result::interrupted();
  regs_ = r;
  return Result::ok();
}

bool Cpu::set_page_table(PageTable* pt) {
  sched::MutexLock l(cpu_mu_);
  if (enclave_mode_) return false;
  page_table_ = pt;
  return true;
}

void Cpu::interrupt() {
  sched::point("ipi.deliver");
  sched::MutexLock l(cpu_mu_);
  if (!enclave_mode_) return;
  interrupted_.store(true, std::memory_order_seq_cst);
  heavy_barrier(asymmetric_);
  // The driving thread may be inside one TLB hit; it finishes in a few instructions.
  while (busy_.load(std::memory_order_seq_cst)) std::this_thread::yield();
  aex(Fault{Vector::kIntr, 0, 0});
}

bool Cpu::take_interrupt() {
  sched::MutexLock l(cpu_mu_);
  return take_interrupt_locked();
}

Result Cpu::encls_in_enclave() {
  sched::MutexLock l(cpu_mu_);
  if (take_interrupt_locked()) return Result::interrupted();
  return fault_in_enclave(Result::ud());
}

Result Cpu::fault_in_enclave(const Result& r) {
  if (r.faulted() && enclave_mode_) aex(r.fault);
  return r;
}

}  // namespace sgxref::hw
