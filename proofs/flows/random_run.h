// File: a run of a system picked at random, one ready thread per step (uniformly, from a
// seeded generator), until every thread has ended or `max_steps` were taken: the
// schedules a replay samples beside the checker's verdicts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "flows/flow_unrolling.h"

namespace sgxref::proofs::flows {

// The steps taken; a run that reaches a world where no thread is ready before all have
// ended stops there (D6 is the checker's to report).
std::vector<FlowStep> random_run(const System& sys, uint64_t seed, size_t max_steps);

}  // namespace sgxref::proofs::flows
