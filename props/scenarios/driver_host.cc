#include "scenarios/driver_host.h"

namespace sgxref::scenarios {

DriverHost::DriverHost(const DriverHostOptions& o) {
  m_ = std::make_unique<hw::Machine>(o.config);
  k_ = std::make_unique<kernel::Kernel>(*m_);
  boot_ = std::make_unique<kernel::Task>(*k_, "boot");
  kernel::TaskScope boot(*boot_);
  driver::SgxDriver::Options d;
  d.sgx.ksgxd_thread = o.ksgxd_thread;
  d.alternatives = o.alternatives;
  d_ = std::make_unique<driver::SgxDriver>(*k_, d);
  p_ = std::make_unique<kernel::Process>(*k_);
  task_ = std::make_unique<kernel::Task>(*p_, o.task_name);
}

DriverHost::~DriverHost() {
  exit_process();
  kernel::TaskScope boot(*boot_);
  task_.reset();
  p_.reset();
  d_.reset();
}

void DriverHost::exit_process() {
  if (p_->exited()) return;
  kernel::TaskScope as_user(*task_);
  p_->exit();
}

}  // namespace sgxref::scenarios
