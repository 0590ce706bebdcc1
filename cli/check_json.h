// File: a check's rows as JSON (`sgxref check --json FILE`), for scripts and for CI to
// keep: per entry the flow, the variant and its switches, the threads by name, the
// sizes, the verdict, the broken property and the counterexample's schedule (thread and
// scheduling point per step, the form impl/sched's replay takes).
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "flows/catalogue_run.h"

namespace sgxref::cli {

nlohmann::json check_json(const std::vector<proofs::flows::Row>& rows);

}  // namespace sgxref::cli
