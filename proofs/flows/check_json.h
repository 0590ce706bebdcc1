// File: a check's rows as JSON (`sgxref check --json FILE`), for scripts and for CI to
// keep (and the kept regressions, proofs/regressions): per entry the flow, the variant and its switches, the threads by name, the
// sizes, the verdict, the broken property and the counterexample's schedule (thread and
// scheduling point per step, the form impl/sched's replay takes); and the reading back
// of an entry with a counterexample, for `sgxref replay`.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "flows/catalogue_run.h"

namespace sgxref::proofs::flows {

nlohmann::json check_json(const std::vector<Row>& rows);

// An entry of a check's JSON with its counterexample.
struct CounterexampleEntry {
  size_t index = 0;  // in the file's entries
  Entry entry;
  std::string property;
  std::vector<FlowStep> steps;
};

// The entries of `j` that have a counterexample. Throws std::invalid_argument saying
// what is wrong with a malformed file.
std::vector<CounterexampleEntry> read_counterexamples(const nlohmann::json& j);

}  // namespace sgxref::proofs::flows
