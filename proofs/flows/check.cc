#include "flows/check.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <stdexcept>

namespace sgxref::proofs::flows {

std::vector<World<C>> rerun(const System& sys, const std::vector<FlowStep>& steps) {
  const C d;
  std::vector<World<C>> worlds{sys.initial};
  for (const FlowStep& s : steps) {
    const World<C>& w = worlds.back();
    if (s.thread < sys.threads.size() && !ready(d, sys, w, s.thread))
      throw std::logic_error("the schedule moves thread " + std::to_string(s.thread) + ", which is not ready");
    worlds.push_back(s.thread < sys.threads.size() ? step(d, sys, w, s.thread) : w);
  }
  return worlds;
}

namespace {

Counterexample confirmed(const FlowUnrolling& u, const Property& p, size_t depth) {
  Counterexample cex{p.name, u.trace(depth), {}};
  cex.worlds = rerun(u.system(), cex.steps);
  const World<C> solver_world = u.concrete_world(depth);
  if (!test::same(cex.worlds.back(), solver_world)) {
    throw std::logic_error("the concrete rerun of the counterexample for " + p.name +
                           " ends elsewhere than the solver's: " +
                           test::first_difference(cex.worlds.back(), solver_world));
  }
  if (!p.broken(C{}, u.system(), cex.worlds.back()))
    throw std::logic_error("the concrete rerun does not break " + p.name);
  return cex;
}

// The time a proof may take, or none without one.
using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;

// Interrupts the context's queries once the deadline passes or the stop flag is set (a
// query then gives up: SolverGaveUp). Not the solver's "timeout" parameter: with one set,
// Z3 4.8 answers the unrolling's incremental queries with its general SMT core instead of
// QF_BV's SAT solver, many times slower (incremental.cc). Z3 cancels only the query
// running when interrupted, hence again every 50 ms until the check is over.
class Watchdog {
 public:
  Watchdog(z3::context& ctx, const Deadline& end, const std::atomic<bool>* stop) {
    if (!end && !stop) return;
    thread_ = std::thread([this, &ctx, end, stop] {
      const auto due = [&] { return (stop && stop->load()) || (end && Clock::now() >= *end); };
      std::unique_lock<std::mutex> l(m_);
      while (!cv_.wait_for(l, std::chrono::milliseconds(50), [this] { return over_; }))
        if (due()) ctx.interrupt();
    });
  }
  ~Watchdog() {
    {
      const std::lock_guard<std::mutex> l(m_);
      over_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool over_ = false;
  std::thread thread_;
};

void check_in(z3::context& ctx, const System& sys, size_t bound, CheckResult& r,
              const std::function<void(size_t)>& progress, const Deadline& deadline,
              const std::atomic<bool>* stop) {
  FlowUnrolling u(ctx, sys);
  const S& d = u.domain();
  const auto ask = [&](const z3::expr& goal) { return u.check(goal).result; };
  r.ends_at.assign(sys.threads.size(), std::nullopt);
  for (size_t depth = 0;; ++depth) {
    for (const Property& p : properties()) {
      const z3::expr broken = p.broken(d, sys, u.world(depth)).e;
      if (ask(broken) == z3::sat) {
        r.verdict = Verdict3::kUnsafe;
        r.depth = depth;
        r.cex = confirmed(u, p, depth);
        return;
      }
      // No run breaks it at this depth: asserting so takes no behaviour away, and the
      // solver need not find it out again at the next depths.
      u.assume(!broken);
    }
    bool all_can_end = true;
    for (size_t t = 0; t < sys.threads.size(); ++t) {
      if (!r.ends_at[t] && ask(ended(d, sys, u.world(depth), t).e) == z3::sat) r.ends_at[t] = depth;
      all_can_end = all_can_end && r.ends_at[t];
    }
    r.depth = depth;
    // Until every thread can have ended, some run has one that has not, and (D6 held)
    // can move: no need to ask.
    if (all_can_end && ask(any_ready(d, sys, u.world(depth)).e) == z3::unsat) {
      r.verdict = Verdict3::kProven;
      return;
    }
    if (stop && stop->load()) throw Interrupted("the check was stopped at depth " + std::to_string(depth));
    if (progress) progress(depth);
    if (depth >= bound && !deadline) break;
    if (deadline && Clock::now() >= *deadline) {
      r.verdict = Verdict3::kUnknown;
      return;
    }
    if (u.extend().result != z3::unsat)
      throw std::logic_error("a step can leave a field of the world beyond its declared width");
  }
  for (const auto& e : r.ends_at)
    if (!e) r.verdict = Verdict3::kVacuous;
}

// One context per thread, never destroyed: Z3 4.8.12 takes minutes to delete a context
// that held a deep unrolling (136 s after a 17 s check at depth 15), while the terms
// themselves go as soon as the unrolling does. Z3 contexts are not thread-safe, hence
// one per thread.
z3::context& checker_context() {
  thread_local z3::context* ctx = new z3::context;
  return *ctx;
}

}  // namespace

CheckResult run_check(const System& sys, size_t bound, const std::function<void(size_t)>& progress,
                      std::optional<double> prove_seconds, const std::atomic<bool>* stop) {
  const auto start = std::chrono::steady_clock::now();
  CheckResult r;
  const Deadline deadline =
      prove_seconds ? Deadline(start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*prove_seconds)))
                    : std::nullopt;
  try {
    const Watchdog watchdog(checker_context(), deadline, stop);
    check_in(checker_context(), sys, bound, r, progress, deadline, stop);
  } catch (const SolverGaveUp&) {
    if (stop && stop->load()) throw Interrupted("the check was stopped while the solver worked");
    // Out of time: the depths done stand.
    if (!deadline || Clock::now() < *deadline) throw;
    r.verdict = Verdict3::kUnknown;
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  r.seconds = took.count();
  return r;
}

}  // namespace sgxref::proofs::flows
