// File: a flow as a per-thread program. Each instruction is one atomic step: the region
// of the driver (or of enclave code) between two scheduling points, named for the point
// it ends at. An instruction is written once, as a generic lambda over the domain, and
// runs in both: concretely (a counterexample rerun step by step) and symbolically (the
// checker). It moves its thread's `pc` itself, so loops and error exits are plain
// assignments; an instruction that takes a lock is ready only while the lock is free.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bmc/terms.h"
#include "flows/world.h"

namespace sgxref::proofs::flows {

template <class D>
using StepFn = std::function<void(const D&, World<D>&, size_t thread)>;
template <class D>
using ReadyFn = std::function<typename D::Bool(const D&, const World<D>&, size_t thread)>;

struct Instr {
  std::string point;
  // Where an instruction whose step may run another leaf first (a load) ends, from the
  // world before the step; unset: always `point`.
  std::function<std::string(const World<C>&, size_t thread)> point_at;
  StepFn<S> sym;
  StepFn<C> conc;
  ReadyFn<S> ready_sym;
  ReadyFn<C> ready_conc;

  template <model::Domain D>
  void run(const D& d, World<D>& w, size_t thread) const {
    if constexpr (D::kSymbolic) {
      sym(d, w, thread);
    } else {
      conc(d, w, thread);
    }
  }
  template <model::Domain D>
  typename D::Bool ready(const D& d, const World<D>& w, size_t thread) const {
    if constexpr (D::kSymbolic) {
      return ready_sym(d, w, thread);
    } else {
      return ready_conc(d, w, thread);
    }
  }
};

// `step(d, w, thread)` and `ready(d, w, thread)` are generic over the domain.
template <class Step, class Ready>
Instr make_instr(std::string point, Step step, Ready ready) {
  return {std::move(point), nullptr, step, step, ready, ready};
}

template <class Step>
Instr make_instr(std::string point, Step step) {
  return make_instr(std::move(point), step,
                    [](const auto& d, const auto&, size_t) { return d.lit(true); });
}

// One thread: its instructions, the CPU it runs on, and what it is (for the tables).
struct Program {
  std::string name;
  int64_t cpu;
  std::vector<Instr> instrs;
};

// The thread's pc goes to `label` when `cond` holds.
template <model::Domain D>
void go_if(const D& d, Thread<D>& t, const typename D::Bool& cond, int64_t label) {
  t.pc = ite(cond, d.num(label), t.pc);
}

}  // namespace sgxref::proofs::flows
