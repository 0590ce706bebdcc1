// File: a catalogue entry's threads together: the world they start in, their programs,
// and one step of one thread in either domain. Symbolically a thread's step is every
// instruction of its program applied to the same state, chosen by its pc (ite), so the
// checker's scheduler only picks the thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "flows/program.h"

namespace sgxref::proofs::flows {

struct System {
  World<C> initial;
  std::vector<Program> threads;  // thread i runs threads[i]; the ioctl is thread 0

  size_t length(size_t t) const { return threads.at(t).instrs.size(); }
};

// Thread `t` has run off the end of its program.
template <model::Domain D>
typename D::Bool ended(const D& d, const System& sys, const World<D>& w, size_t t) {
  return d.num(int64_t(sys.length(t))) <= w.th[t].pc;
}

// Thread `t` has a next step and may take it now: its instruction is ready, and no other
// thread must go on first (runs_on).
template <model::Domain D>
typename D::Bool ready(const D& d, const System& sys, const World<D>& w, size_t t) {
  typename D::Bool others_parked = d.lit(true);
  for (size_t u = 0; u < w.th.size(); ++u) {
    if (u != t) others_parked = others_parked && !w.th[u].runs_on;
  }
  const std::vector<Instr>& prog = sys.threads[t].instrs;
  if constexpr (!D::kSymbolic) {
    const size_t pc = size_t(w.th[t].pc);
    return others_parked && pc < prog.size() && prog[pc].ready(d, w, t);
  } else {
    typename D::Bool r = d.lit(false);
    for (size_t p = 0; p < prog.size(); ++p) r = r || (w.th[t].pc == int64_t(p) && prog[p].ready(d, w, t));
    return others_parked && r;
  }
}

// Some thread can take a step.
template <model::Domain D>
typename D::Bool any_ready(const D& d, const System& sys, const World<D>& w) {
  typename D::Bool r = d.lit(false);
  for (size_t t = 0; t < sys.threads.size(); ++t) r = r || ready(d, sys, w, t);
  return r;
}

// No thread can move although one has not ended: a deadlock (D6).
template <model::Domain D>
typename D::Bool stuck(const D& d, const System& sys, const World<D>& w) {
  typename D::Bool all_ended = d.lit(true);
  for (size_t t = 0; t < sys.threads.size(); ++t) all_ended = all_ended && ended(d, sys, w, t);
  return !any_ready(d, sys, w) && !all_ended;
}

// The world after thread `t` takes its next step (unchanged if it has ended). A step
// ends at a scheduling point unless it says it runs on.
template <model::Domain D>
World<D> step(const D& d, const System& sys, const World<D>& w, size_t t) {
  const std::vector<Instr>& prog = sys.threads[t].instrs;
  World<D> start = w;
  start.th[t].off_point = d.lit(false);
  start.th[t].runs_on = d.lit(false);
  // A thread that has ended goes on no more.
  const auto stop_if_ended = [&](World<D>& x) {
    x.th[t].runs_on = x.th[t].runs_on && !ended(d, sys, x, t);
  };
  if constexpr (!D::kSymbolic) {
    const size_t pc = size_t(w.th[t].pc);
    if (pc >= prog.size()) return w;
    prog[pc].run(d, start, t);
    stop_if_ended(start);
    return start;
  } else {
    World<D> next = w;
    for (size_t p = 0; p < prog.size(); ++p) {
      World<D> x = start;
      prog[p].run(d, x, t);
      stop_if_ended(x);
      next = ite(w.th[t].pc == int64_t(p), x, next);
    }
    return next;
  }
}

// Where thread `t` stands: the scheduling point its next step ends at ("" when it runs
// on past it), or "end".
std::string next_point(const System& sys, const World<C>& w, size_t t);

}  // namespace sgxref::proofs::flows
