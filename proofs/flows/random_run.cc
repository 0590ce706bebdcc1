#include "flows/random_run.h"

#include <random>

namespace sgxref::proofs::flows {

std::vector<FlowStep> random_run(const System& sys, uint64_t seed, size_t max_steps) {
  const C d;
  std::mt19937_64 rng(seed);
  std::vector<FlowStep> steps;
  World<C> w = sys.initial;
  while (steps.size() < max_steps) {
    std::vector<size_t> ready_threads;
    for (size_t t = 0; t < sys.threads.size(); ++t) {
      if (ready(d, sys, w, t)) ready_threads.push_back(t);
    }
    if (ready_threads.empty()) break;
    const size_t t = ready_threads[std::uniform_int_distribution<size_t>(0, ready_threads.size() - 1)(rng)];
    steps.push_back({t, next_point(sys, w, t)});
    w = step(d, sys, w, t);
  }
  return steps;
}

}  // namespace sgxref::proofs::flows
