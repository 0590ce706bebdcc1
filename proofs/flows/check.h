// File: the bounded check of one system. At each depth 0, 1, ... up to the bound it asks
// whether the world at that depth breaks a property (the first depth that does is the
// shortest counterexample) and, for vacuity, whether each thread can have ended by then.
// A counterexample is rerun concretely, step by step, from the solver's schedule: it
// must end in the solver's world and break the same property, or the run throws.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flows/flow_unrolling.h"
#include "flows/properties.h"

namespace sgxref::proofs::flows {

enum class Verdict3 { kSafe, kUnsafe, kVacuous };

struct Counterexample {
  std::string property;
  std::vector<FlowStep> steps;
  std::vector<World<C>> worlds;  // worlds[0] is the initial one; worlds[k+1] after step k
};

struct CheckResult {
  Verdict3 verdict = Verdict3::kSafe;
  size_t depth = 0;  // SAFE: every property held to this depth; UNSAFE: the violation's
  std::optional<Counterexample> cex;
  std::vector<std::optional<size_t>> ends_at;  // by thread: the first depth it can have ended
  double seconds = 0;
};

// `progress(depth)`, when given, is called as each depth is done.
CheckResult run_check(const System& sys, size_t bound,
                      const std::function<void(size_t depth)>& progress = nullptr);

// Reruns `steps` concretely from the system's initial world: every world on the way.
std::vector<World<C>> rerun(const System& sys, const std::vector<FlowStep>& steps);

}  // namespace sgxref::proofs::flows
