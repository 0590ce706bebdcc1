// File: the machine a scenario runs on, without gtest so the CLI can use it: a
// DriverHost (ksgxd in manual mode, so a run is reproducible from its seed alone) with
// /dev/sgx_enclave traced into the transcript, whose process's task the calling thread
// plays for the scenario's whole run.
#pragma once

#include <cstdint>
#include <memory>

#include "driver/driver.h"
#include "hw/machine.h"
#include "hw/snapshot.h"
#include "kernel/process.h"
#include "kernel/task.h"
#include "scenarios/driver_host.h"
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

  hw::Machine& machine() { return host_.machine(); }
  kernel::Process& process() { return host_.process(); }
  driver::Sgx& sgx() { return host_.sgx(); }
  hw::Counters counters() const;
  // EPCM entries that are valid now.
  uint64_t epcm_valid() const;

  // ksgxd's answer to a wake-up, in manual mode: one step of its loop (reclaim up to
  // the high watermark) when free pages are below the low watermark. A fault's ELDU
  // allocates without reclaim and waits for ksgxd, so the scenario calls this before
  // every enclave entry. Returns the batches run.
  int reclaim_if_low();

 private:
  DriverHost host_;
  std::unique_ptr<TracedEnclaveDevice> traced_;
  std::unique_ptr<kernel::TaskScope> scope_;
};

}  // namespace sgxref::scenarios
