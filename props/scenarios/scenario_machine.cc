#include "scenarios/scenario_machine.h"

#include "hw/config.h"
#include "hw/inspect.h"

namespace sgxref::scenarios {

namespace {

DriverHostOptions host_options(uint32_t epc_pages, uint64_t seed,
                               const driver::Alternatives& alternatives) {
  DriverHostOptions o;
  o.config.epc_pages = epc_pages;
  o.config.seed = seed;
  o.alternatives = alternatives;
  o.task_name = "selftest";
  return o;
}

}  // namespace

ScenarioMachine::ScenarioMachine(uint32_t epc_pages, uint64_t seed,
                                 const driver::Alternatives& alternatives, Recorder& rec)
    : host_(host_options(epc_pages, seed, alternatives)) {
  traced_ = std::make_unique<TracedEnclaveDevice>(
      host_.kernel(), [&rec](const std::string& line) { rec.line(line); });
  scope_ = std::make_unique<kernel::TaskScope>(host_.task());
}

ScenarioMachine::~ScenarioMachine() {
  // Files the scenario left open still name the tracer's operations: they close first.
  host_.exit_process();
  scope_.reset();
  traced_.reset();
}

hw::Counters ScenarioMachine::counters() const {
  return hw::Inspector(host_.machine()).counters();
}

uint64_t ScenarioMachine::epcm_valid() const {
  const hw::Inspector in(host_.machine());
  uint64_t n = 0;
  for (uint32_t s = 0; s < host_.machine().epc_pages(); ++s) n += in.epcm(s).valid ? 1 : 0;
  return n;
}

int ScenarioMachine::reclaim_if_low() {
  if (sgx().nr_free_pages() >= sgx().low_watermark()) return 0;
  return sgx().ksgxd_step();
}

}  // namespace sgxref::scenarios
