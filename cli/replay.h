// File: counterexamples replayed on the driver. `sgxref replay FILE` takes a check's
// JSON (`sgxref check --json FILE`) and replays each counterexample in it (or the one
// --entry names) on impl/driver step by step, printing the driver's state after each
// step and whether the driver broke the counterexample's property. A bug switch's
// counterexample runs on the driver with that bug's patch (the sgxref-bug-NAME binary
// beside this one). `sgxref check` replays each counterexample it finds the same way,
// and a sample of the schedules it calls safe.
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "flows/catalogue_run.h"

namespace sgxref::cli {

struct ReplayArgs {
  std::string file;
  std::optional<size_t> entry;  // the file's entry; unset: every one with a counterexample
  bool brief = false;           // one line per entry instead of the step-by-step table
  std::string json;             // given: the replays are written there too (replay_json's, an array)
};

// 0: every counterexample showed on the driver; 1: one did not; 2: a bad file or entry.
int run_replay(const ReplayArgs& args, std::ostream& out, std::ostream& err);

// A row's counterexample on the driver (with the row's bug, through its binary):
// whether the driver broke the property, and one line saying what it did.
struct RowReplay {
  bool shown = false;
  std::string line;
};
RowReplay replay_row(const proofs::flows::Row& r);

// The same as data, with the driver's state after each step of the plan: {"shown",
// "summary" (replay_row's line), "driver", "followed", "report", "broken", "mismatches",
// "steps": [{"step", "thread", "thread_name", "runs_on_from", "state"}]}.
nlohmann::json replay_row_json(const proofs::flows::Row& r);

// `samples` random schedules of a SAFE row replayed on the driver: how many ran clean
// (followed, with the flow's answers, nothing broken), and the first that did not.
struct SampleReplay {
  size_t clean = 0, samples = 0;
  std::string first_failure;
};
SampleReplay replay_samples(const proofs::flows::Row& r, size_t samples);

}  // namespace sgxref::cli
