// File: one conformance step: run an operation on the model and on the emulator and
// say how they differ (outcome, abstracted state, or an invariant broken on the
// emulator's state), and replaying a whole sequence the same way. The property suite
// and the regression tests share it, so a kept counterexample fails exactly as it did.
#pragma once

#include <string>
#include <vector>

#include "conformance/hw_runner.h"

namespace sgxref::conformance {

using Model = model::arch::State<C>;

struct StepResult {
  Out outcome;        // the model's
  std::string error;  // empty when the emulator agreed
};

// Applies `op` to `s` (the model) and to `hw`; `s` becomes the model's next state.
StepResult check_step(Model& s, HwRunner& hw, const Op& op);

struct OverlapResult {
  model::test::OverlapOutcome outcome;  // the model's
  std::string error;
};

// The same for two leaves at once (model/op.h OverlapOp).
OverlapResult check_overlap(Model& s, HwRunner& hw, const model::test::OverlapOp& op);

// Replays `ops` from power-on, or from the scenario enclave (model/world.h) when
// `from_scenario`; returns the first disagreement as "step N: ...", or "".
std::string replay(const std::vector<Op>& ops, bool from_scenario);

}  // namespace sgxref::conformance
