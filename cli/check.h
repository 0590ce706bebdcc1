// File: `sgxref check`, the main job: the checker's catalogue (every flow with Linux's
// choices, each design alternative and each bug switch, against enclave threads), one
// row per entry, with progress on stderr while it works and each counterexample as a
// timeline after the table.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "flows/catalogue_run.h"

namespace sgxref::cli {

struct CheckArgs {
  std::vector<std::string> flows;     // empty: every flow
  std::vector<std::string> switches;  // given: each selected flow runs with exactly these
  proofs::flows::RunSizes sizes;
  size_t jobs = 2;   // entries run at once
  std::string json;  // given: the rows are written there as JSON too
};

// Returns the exit status: 0 Linux's choices hold, 1 a violation in them or a vacuous
// entry, 2 an unknown flow or switch, or a JSON file that cannot be written.
int run_checker(const CheckArgs& args, std::ostream& out, std::ostream& progress);

}  // namespace sgxref::cli
