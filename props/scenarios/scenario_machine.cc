#include "scenarios/scenario_machine.h"

#include "hw/config.h"
#include "hw/inspect.h"

namespace sgxref::scenarios {

ScenarioMachine::ScenarioMachine(uint32_t epc_pages, uint64_t seed,
                                 const driver::Alternatives& alternatives, Recorder& rec) {
  hw::Config cfg;
  cfg.epc_pages = epc_pages;
  cfg.seed = seed;
  m_ = std::make_unique<hw::Machine>(cfg);
  k_ = std::make_unique<kernel::Kernel>(*m_);
  // The driver initializes from a kernel task, as sgx_init runs at boot.
  boot_ = std::make_unique<kernel::Task>(*k_, "boot");
  boot_scope_ = std::make_unique<kernel::TaskScope>(*boot_);
  driver::SgxDriver::Options o;
  o.sgx.ksgxd_thread = false;
  o.alternatives = alternatives;
  d_ = std::make_unique<driver::SgxDriver>(*k_, o);
  traced_ = std::make_unique<TracedEnclaveDevice>(
      *k_, [&rec](const std::string& line) { rec.line(line); });
  p_ = std::make_unique<kernel::Process>(*k_);
  task_ = std::make_unique<kernel::Task>(*p_, "selftest");
  scope_ = std::make_unique<kernel::TaskScope>(*task_);
}

ScenarioMachine::~ScenarioMachine() {
  p_->exit();
  scope_.reset();
  task_.reset();
  p_.reset();
  traced_.reset();
  d_.reset();
  boot_scope_.reset();
  boot_.reset();
}

hw::Counters ScenarioMachine::counters() const { return hw::Inspector(*m_).counters(); }

uint64_t ScenarioMachine::epcm_valid() const {
  const hw::Inspector in(*m_);
  uint64_t n = 0;
  for (uint32_t s = 0; s < m_->epc_pages(); ++s) n += in.epcm(s).valid ? 1 : 0;
  return n;
}

int ScenarioMachine::reclaim_if_low() {
  if (sgx().nr_free_pages() >= sgx().low_watermark()) return 0;
  return sgx().ksgxd_step();
}

}  // namespace sgxref::scenarios
