#include "bmc/goal.h"

#include <chrono>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace sgxref::proofs {

Goal breaks(std::string name, StatePredicate p) {
  return {std::move(name),
          [p](const Unrolling& u, size_t k) { return !p(u.domain(), u.state(k)).e; }};
}

Goal reaches(std::string name, StatePredicate p) {
  return {std::move(name),
          [p](const Unrolling& u, size_t k) { return p(u.domain(), u.state(k)).e; }};
}

Goal steps_to(std::string name, StepPredicate p) {
  return {std::move(name), [p](const Unrolling& u, size_t k) {
            return k == 0 ? u.domain().ctx->bool_val(false) : p(u, k - 1);
          }};
}

bool GoalRun::unsat_up_to(size_t bound) const {
  if (found_at || by_depth.size() != bound + 1) return false;
  for (const Verdict& v : by_depth)
    if (v.result != z3::unsat) return false;
  return true;
}

const GoalRun& BmcRun::goal(const std::string& name) const {
  for (const GoalRun& g : goals)
    if (g.name == name) return g;
  throw std::invalid_argument("no goal named " + name);
}

BmcRun run_bmc(Unrolling& u, const std::vector<Goal>& goals, size_t bound) {
  BmcRun run;
  run.bound = bound;
  for (const Goal& g : goals) run.goals.push_back({g.name, {}, std::nullopt, {}, {}});
  for (size_t k = 0;; ++k) {
    for (size_t i = 0; i < goals.size(); ++i) {
      GoalRun& r = run.goals[i];
      if (r.found_at) continue;
      r.by_depth.push_back(u.check(goals[i].at(u, k)));
      if (r.by_depth.back().result == z3::sat) {
        r.found_at = k;
        r.trace = u.trace(k);
        r.last = u.concrete_state(k);
      }
    }
    if (k == bound) break;
    const auto start = std::chrono::steady_clock::now();
    const Verdict overflow = u.extend();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    run.overflow.push_back(overflow);
    run.build_seconds.push_back(took.count() - overflow.seconds);
  }
  return run;
}

namespace {

// "  name      unsat   0.12s", formatted apart so the caller's stream keeps its flags.
std::string row(const std::string& name, const Verdict& v) {
  std::ostringstream r;
  r << "  " << std::left << std::setw(48) << name << std::right << std::setw(6)
    << (v.result == z3::sat     ? "sat"
        : v.result == z3::unsat ? "unsat"
                                : "?")
    << std::setw(8) << std::fixed << std::setprecision(2) << v.seconds << "s";
  return r.str();
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const BmcRun& run) {
  for (size_t k = 0; k <= run.bound; ++k) {
    os << "depth " << k << "\n";
    for (const GoalRun& g : run.goals) {
      if (k < g.by_depth.size()) os << row(g.name, g.by_depth[k]) << "\n";
    }
    if (k < run.overflow.size()) {
      std::ostringstream build;
      build << std::fixed << std::setprecision(2) << run.build_seconds[k];
      os << row("(step " + std::to_string(k) + " can exceed a width)", run.overflow[k])
         << "   terms built in " << build.str() << "s\n";
    }
  }
  return os;
}

}  // namespace sgxref::proofs
