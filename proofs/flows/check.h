// File: the check of one system. At each depth 0, 1, ... up to the bound it asks
// whether the world at that depth breaks a property (the first depth that does is the
// shortest counterexample) and, for vacuity, whether each thread can have ended by then.
// Then whether any run can still move: when none can, every run has ended by that
// depth (D6, checked at every depth, rules out one that stopped short), so the depths
// checked hold every world the system can reach, and the verdict is PROVEN. The flows
// are programs that end, so such a depth exists; asked to prove, the check goes on past
// the bound until it finds it, or its time runs out (UNKNOWN: SAFE to the last depth).
// A counterexample is rerun concretely, step by step, from the solver's schedule: it
// must end in the solver's world and break the same property, or the run throws.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "flows/flow_unrolling.h"
#include "flows/properties.h"

namespace sgxref::proofs::flows {

enum class Verdict3 { kSafe, kProven, kUnsafe, kVacuous, kUnknown };

struct Counterexample {
  std::string property;
  std::vector<FlowStep> steps;
  std::vector<World<C>> worlds;  // worlds[0] is the initial one; worlds[k+1] after step k
};

struct CheckResult {
  Verdict3 verdict = Verdict3::kSafe;
  // SAFE and UNKNOWN: every property held to this depth; PROVEN: every run has ended by
  // it; UNSAFE: the violation's.
  size_t depth = 0;
  std::optional<Counterexample> cex;
  std::vector<std::optional<size_t>> ends_at;  // by thread: the first depth it can have ended
  double seconds = 0;
};

// The caller set the check's stop flag: thrown at the next depth, or from the query
// the solver was answering.
struct Interrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// With `prove_seconds`, the check goes on past `bound` for a proof within that time.
// `progress(depth)`, when given, is called as each depth is done. `stop`, when given, is
// watched throughout: once it is set, the check throws Interrupted (Ctrl-C in the
// bindings: a signal handler may set it).
CheckResult run_check(const System& sys, size_t bound,
                      const std::function<void(size_t depth)>& progress = nullptr,
                      std::optional<double> prove_seconds = std::nullopt,
                      const std::atomic<bool>* stop = nullptr);

// Reruns `steps` concretely from the system's initial world: every world on the way.
std::vector<World<C>> rerun(const System& sys, const std::vector<FlowStep>& steps);

}  // namespace sgxref::proofs::flows
