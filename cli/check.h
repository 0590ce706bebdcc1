// File: `sgxref check`, the main job: the checker's catalogue (every flow with Linux's
// choices, each design alternative and each bug switch, against enclave threads), one
// row per entry, with progress on stderr while it works and each counterexample as a
// timeline after the table; each row also says what the driver showed of it
// (cli/replay.h).
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
  std::string expect;  // given: a table of the verdicts the rows must have
  std::string flow_file;  // given: the one entry is this file's flow (docs/checker.md)
};

// Returns the exit status: 0 Linux's choices hold, 1 a violation in them, a vacuous
// entry, a counterexample the driver does not show or a safe schedule it breaks on, 2 an
// unknown flow or switch, a JSON file that cannot be written or a table that cannot be
// read, 3 (when nothing else failed) an entry whose proof (`sizes.prove`) did not finish
// in its time. With `expect`, 0 means instead that every row has the table's verdict and
// property and the driver showed each row as it should; 1 that one did not.
//
// The table (proofs/expected-verdicts.txt): one line per entry, in order, with the flow,
// the variant, SAFE or UNSAFE, and the broken property or "-", separated by tabs; lines
// starting with '#' are comments.
int run_checker(const CheckArgs& args, std::ostream& out, std::ostream& progress);

// The entries `args` selects (the catalogue's, or each selected flow with exactly the
// switches, or the flow file's): what run_checker runs. Throws std::invalid_argument
// for an unknown flow or switch, a flow given enclave threads it runs without, or a flow
// file that cannot be read; says on `progress` which flows --threads leaves out.
std::vector<proofs::flows::Entry> select_entries(const CheckArgs& args, std::ostream& progress);

}  // namespace sgxref::cli
