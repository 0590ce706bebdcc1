// File: a machine running the driver with one user process, bound to no host thread:
// the emulator, its kernel, the driver (ksgxd in manual mode unless asked for the
// thread) and a process with one task. Whoever drives it makes the task current for
// each piece of work (kernel::TaskScope on task()), so a scenario can keep it current
// for its whole run and the Python bindings can enter it per call from any thread.
// Without gtest, for the CLI and the bindings alike.
#pragma once

#include <memory>
#include <string>

#include "driver/alternatives.h"
#include "driver/driver.h"
#include "hw/config.h"
#include "hw/machine.h"
#include "kernel/kernel.h"
#include "kernel/process.h"
#include "kernel/task.h"

namespace sgxref::scenarios {

struct DriverHostOptions {
  hw::Config config;
  driver::Alternatives alternatives;  // the defaults are Linux's
  bool ksgxd_thread = false;
  std::string task_name = "user";  // the process's task, as a transcript names it
};

class DriverHost {
 public:
  // Builds the driver from a kernel task, as sgx_init runs at boot.
  explicit DriverHost(const DriverHostOptions& o);
  // The process exits (closing whatever is left open) as its task, then the driver goes.
  ~DriverHost();
  DriverHost(const DriverHost&) = delete;
  DriverHost& operator=(const DriverHost&) = delete;

  hw::Machine& machine() { return *m_; }
  const hw::Machine& machine() const { return *m_; }
  kernel::Kernel& kernel() { return *k_; }
  driver::SgxDriver& driver() { return *d_; }
  driver::Sgx& sgx() { return d_->sgx(); }
  kernel::Process& process() { return *p_; }
  kernel::Task& task() { return *task_; }

  // The process's exit, as its task; a second call does nothing. Whoever put its own
  // file operations in front of the driver's calls it before taking them away.
  void exit_process();

 private:
  std::unique_ptr<hw::Machine> m_;
  std::unique_ptr<kernel::Kernel> k_;
  std::unique_ptr<kernel::Task> boot_;
  std::unique_ptr<driver::SgxDriver> d_;
  std::unique_ptr<kernel::Process> p_;
  std::unique_ptr<kernel::Task> task_;
};

}  // namespace sgxref::scenarios
