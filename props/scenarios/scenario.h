// File: what every kernel selftest mirror shares: the options a run takes, the EPC
// sizes the mirrors start from, and a registry entry (name, summary, entry point), so
// `sgxref simulate` and `check` can list and run the SGX1 and the SGX2 mirrors alike.
#pragma once

#include <cstdint>

#include "driver/alternatives.h"
#include "hw/config.h"
#include "scenarios/scenario_result.h"

namespace sgxref::scenarios {

struct ScenarioOptions {
  // The EPC size; 0 for the scenario's own. A scenario raises a smaller one to what it
  // needs and says so in its transcript.
  uint32_t epc_pages = 0;
  uint64_t seed = hw::Config{}.seed;
  // The driver's design alternatives; the defaults are Linux's.
  driver::Alternatives alternatives;
};

// Every scenario but the oversubscribed ones: the EPC holds the whole enclave.
inline constexpr uint32_t kDefaultEpcPages = 64;
inline constexpr uint32_t kMinEpcPages = 32;
// The oversubscribed ones: DESIGN.md's least EPC for a claim of oversubscription.
inline constexpr uint32_t kOversubscribedMinEpcPages = 1024;

using ScenarioFn = ScenarioResult (*)(const ScenarioOptions&);

struct Scenario {
  const char* name;     // the selftest's name
  const char* summary;  // what it checks, in a line
  ScenarioFn run;
};

}  // namespace sgxref::scenarios
