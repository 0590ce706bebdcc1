// File: one conformance step: run an operation on the model and on the emulator and
// say how they differ (outcome, abstracted state, or an invariant broken on the
// emulator's state), and replaying a whole sequence the same way. The property suite
// and the regression tests share it, so a kept counterexample fails exactly as it did.
#pragma once

#include <functional>
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

// Run on both sides before op i of a replay, so a test can patch the model's state and
// the emulator's alike: a planted bug a checker's counterexample assumes, say, applied
// through the emulator's internal face.
using StepHook = std::function<void(size_t i, const Op& op, Model& s, HwRunner& hw)>;

// Replays `ops` from the states `s` and `hw` hold, with `before` (when set) ahead of each
// op; returns the first disagreement as "step N: ...", or "". The caller owns both
// sides, so it can look at them where the replay stopped: after step N, or the last.
std::string replay(const std::vector<Op>& ops, Model& s, HwRunner& hw, const StepHook& before);

}  // namespace sgxref::conformance
