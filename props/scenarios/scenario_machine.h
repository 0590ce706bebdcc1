// File: the machine a scenario runs on, without gtest so the CLI can use it: the
// emulator, its kernel, the driver (ksgxd in manual mode, so a run is reproducible from
// its seed alone), /dev/sgx_enclave traced into the transcript, and one process whose
// task the calling thread plays.
#pragma once

#include <cstdint>
#include <memory>

#include "driver/driver.h"
#include "hw/machine.h"
#include "hw/snapshot.h"
#include "kernel/kernel.h"
#include "kernel/process.h"
#include "kernel/task.h"
#include "scenarios/scenario_result.h"
#include "scenarios/traced_enclave_device.h"

namespace sgxref::scenarios {

class ScenarioMachine {
 public:
  ScenarioMachine(uint32_t epc_pages, uint64_t seed, const driver::Alternatives& alternatives,
                  Recorder& rec);
  // The process exits (closing whatever the scenario left open), then the driver goes.
  ~ScenarioMachine();
  ScenarioMachine(const ScenarioMachine&) = delete;
  ScenarioMachine& operator=(const ScenarioMachine&) = delete;

  hw::Machine& machine() { return *m_; }
  kernel::Process& process() { return *p_; }
  driver::Sgx& sgx() { return d_->sgx(); }
  hw::Counters counters() const;
  // EPCM entries that are valid now.
  uint64_t epcm_valid() const;

  // ksgxd's answer to a wake-up, in manual mode: one step of its loop (reclaim up to
  // the high watermark) when free pages are below the low watermark. A fault's ELDU
  // allocates without reclaim and waits for ksgxd, so the scenario calls this before
  // every enclave entry. Returns the batches run.
  int reclaim_if_low();

 private:
  std::unique_ptr<hw::Machine> m_;
  std::unique_ptr<kernel::Kernel> k_;
  std::unique_ptr<kernel::Task> boot_;
  std::unique_ptr<kernel::TaskScope> boot_scope_;
  std::unique_ptr<driver::SgxDriver> d_;
  std::unique_ptr<TracedEnclaveDevice> traced_;
  std::unique_ptr<kernel::Process> p_;
  std::unique_ptr<kernel::Task> task_;
  std::unique_ptr<kernel::TaskScope> scope_;
};

}  // namespace sgxref::scenarios
