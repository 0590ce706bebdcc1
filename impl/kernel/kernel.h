// File: the kernel slice around one emulated machine: the platform it runs on, the run
// queue of its logical CPUs, the devices user space can open, the fault-injection
// switches, and IPIs to a set of CPUs. It knows nothing of SGX.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "hw/machine.h"
#include "kernel/fault_inject.h"
#include "kernel/file.h"
#include "kernel/run_queue.h"
#include "sched/mutex.h"

namespace sgxref::kernel {

class Kernel {
 public:
  explicit Kernel(hw::Machine& m) : m_(m), rq_(m) {}
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  hw::Machine& machine() { return m_; }
  FaultInjection& faults() { return faults_; }
  RunQueue& run_queue() { return rq_; }

  // on_each_cpu_mask with nothing to run: an interrupt to every CPU in `mask` but the
  // caller's own (which is in the kernel, so in no enclave), each one forcing an AEX if
  // that CPU is inside an enclave. Returns when every interrupt has been delivered, at
  // the scheduling point "ipi_mask.end": the call is one synchronous cross-call, so a
  // schedule can name its end whatever the mask held, while each delivery has its own
  // point ("ipi.deliver") for schedules that split it.
  void ipi_mask(uint64_t mask);

  // A misc device: user space opens it by name.
  void register_device(const std::string& name, FileOps& ops) EXCLUDES(mu_);
  FileOps* device(const std::string& name) const EXCLUDES(mu_);
  // misc_deregister: the name no longer opens; files already open stay.
  void unregister_device(const std::string& name) EXCLUDES(mu_);

 private:
  hw::Machine& m_;
  FaultInjection faults_;
  RunQueue rq_;
  mutable sched::Mutex mu_{"kernel.devices"};
  std::map<std::string, FileOps*> devices_ GUARDED_BY(mu_);
};

}  // namespace sgxref::kernel
