// The checker finds a planted bug and its counterexample reproduces on the emulator.
// With EWB blind to its target's tracking stamp, BMC from the scenario enclave finds a
// state breaking H2 (DESIGN.md: EWB succeeds only once the blocking epoch is tracked, and
// leaves no TLB entry on the slot); the trace comes back as model operations, reruns on
// the concrete model to the solver's own states, and replays on the emulator, patched
// the same way, through the conformance replay (props/conformance/step_check.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "bmc/goal.h"
#include "bmc/moves.h"
#include "bmc/scenario.h"
#include "conformance/abstraction.h"
#include "conformance/step_check.h"
#include "hw/internals.h"
#include "model/leaves.h"
#include "testlib/test_signing_key.h"

namespace sgxref::proofs {
namespace {

constexpr size_t kBound = 6;

// The planted bug, kept in this test (the model keeps the real EWB): EWB that does not
// see its target's tracking stamp. The stamp is cleared before arch::ewb runs, so its
// "tracking correct" check passes whatever ETRACK and the CPUs inside have done, and put
// back when EWB did not commit, so a refused EWB still changes nothing.
template <class D>
Outcome<D> ewb_ignoring_stamp(const D& d, State<D>& s, const arch::EwbOp<D>& op) {
  using Epcm = arch::Epcm<D>;
  const typename D::Bool valid = model::at(d, s.epcm, op.slot, &Epcm::valid);
  const typename D::Bool stamped = model::at(d, s.epcm, op.slot, &Epcm::stamped);
  model::put(d, s.epcm, op.slot, d.lit(true), &Epcm::stamped, d.lit(false));
  const Outcome<D> out = arch::ewb(d, s, op);
  const typename D::Bool committed = valid && !model::at(d, s.epcm, op.slot, &Epcm::valid);
  model::put(d, s.epcm, op.slot, !committed, &Epcm::stamped, stamped);
  return out;
}

std::vector<Move> moves_with_untracked_ewb() {
  std::vector<Move> moves = thread_and_reclaimer_moves();
  for (Move& m : moves) {
    if (m.name != "EWB") continue;
    m = make_move(
        "EWB", test::Leaf::kEwb, EwbOperands{},
        [](const auto& d, auto& s, const auto& op) { return ewb_ignoring_stamp(d, s, op); });
  }
  return moves;
}

// Whether `op` is an EWB whose target is a valid EPC page of `s`.
bool ewb_of_resident_page(const State<C>& s, const test::Op& op) {
  const auto* ewb = std::get_if<arch::EwbOp<C>>(&op.args);
  return ewb != nullptr && ewb->slot < int64_t(s.sz.slots) && s.epcm[size_t(ewb->slot)].valid;
}

// The first step at or after `from` whose leaf is one of `leaves`, or trace.size().
size_t index_of(const std::vector<TraceStep>& trace, std::initializer_list<test::Leaf> leaves,
                size_t from = 0) {
  for (size_t i = from; i < trace.size(); ++i)
    if (std::find(leaves.begin(), leaves.end(), trace[i].op.leaf) != leaves.end()) return i;
  return trace.size();
}

TEST(UntrackedEwbBmc, SolverFindsAnH2BreakThatReplaysOnTheEmulator) {
  z3::context ctx;
  const arch::Sizes sz = checker_sizes();
  const State<C> start = scenario_state(sz);
  Unrolling u(ctx, start, moves_with_untracked_ewb());
  const BmcRun run = run_bmc(
      u,
      {breaks("H2 eviction safety", [](const S& d, const State<S>& s) { return arch::h2(d, s); }),
       breaks("H2 while H1 holds",
              [](const S& d, const State<S>& s) { return !arch::h1(d, s) || arch::h2(d, s); })},
      kBound);
  std::cout << "UntrackedEwbBmc:\n" << run;
  const GoalRun& h2 = run.goal("H2 eviction safety");
  ASSERT_TRUE(h2.found_at.has_value()) << "no H2 break within " << kBound << " steps";
  EXPECT_TRUE(run.goal("H2 while H1 holds").unsat_up_to(kBound));

  std::vector<test::Op> ops;
  std::cout << "counterexample, " << h2.trace.size() << " steps after the scenario build:\n{\n";
  for (const TraceStep& t : h2.trace) {
    ops.push_back(t.op);
    std::cout << "    " << t.op << ",  // " << t.outcome << "\n";
  }
  std::cout << "}\n";

  // The race it must be: an enclave thread caches a page, the reclaimer blocks it and
  // evicts it while the translation is still cached.
  const size_t enter = index_of(h2.trace, {test::kEenter, test::kEresume});
  const size_t access = index_of(h2.trace, {test::kLoad, test::kStore}, enter);
  const size_t block = index_of(h2.trace, {test::kEblock}, access);
  const size_t evict = index_of(h2.trace, {test::kEwb}, block);
  ASSERT_EQ(evict + 1, h2.trace.size()) << "EENTER, an access, EBLOCK, EWB in that order, EWB last";

  // The concrete model with the same transitions reaches the solver's states, and only the
  // last one breaks H2. EWB steps that commit are the ones the emulator must be patched for.
  const C d;
  State<C> s = start;
  std::set<size_t> patched;
  for (size_t i = 0; i < h2.trace.size(); ++i) {
    const TraceStep& t = h2.trace[i];
    ASSERT_TRUE(arch::h2(d, s)) << "H2 already broken before step " << i;
    const bool resident = ewb_of_resident_page(s, t.op);
    const Outcome<C> out = u.moves()[t.move].concrete(d, s, t.op);
    EXPECT_EQ(out, t.outcome) << "step " << i << " " << t.op;
    if (resident && !ewb_of_resident_page(s, t.op)) patched.insert(i);
  }
  EXPECT_EQ(test::first_difference(s, h2.last), "");
  EXPECT_FALSE(arch::h2(d, s));
  EXPECT_EQ(patched, std::set<size_t>{evict});

  // The emulator, from the same scenario and with the same stamp cleared before the
  // evicting EWB (through its internal face), agrees with the model up to that EWB and
  // then breaks H2 on its own state, as the solver's state does. (A TLB entry on an
  // evicted slot breaks H1 too: the run's second goal shows no H2 break here spares H1.)
  std::vector<test::Op> all = test::scenario_build_ops();
  const size_t build = all.size();
  all.insert(all.end(), ops.begin(), ops.end());
  const auto clear_stamp = [&](size_t i, const test::Op& op, conformance::Model& m,
                               conformance::HwRunner& hw) {
    if (i < build || patched.count(i - build) == 0) return;
    const auto slot = std::get<arch::EwbOp<C>>(op.args).slot;
    m.epcm[size_t(slot)].stamped = false;
    hw::MachineState& state = hw::Internals::of(hw.machine());
    sched::MutexLock l(state.mu());
    state.epcm_entry(uint32_t(slot)).stamped = false;
  };
  conformance::HwRunner hw(sz, testlib::test_signing_key());
  conformance::Model m = arch::initial_state(d, sz);
  const std::string report = conformance::replay(all, m, hw, clear_stamp);
  std::cout << "replay on the emulator: " << report << "\n";
  std::ostringstream want;
  want << "step " << build + evict << ": " << ops[evict] << ": H1, H2 broken on the emulator";
  EXPECT_EQ(report, want.str());

  // Where it stopped, the emulator's state is the model's, and breaks H2 as the solver's does.
  conformance::Model seen = conformance::abstract(hw);
  EXPECT_FALSE(arch::h2(d, seen)) << "the emulator's state keeps H2";
  EXPECT_EQ(test::first_difference(m, s), "");
  conformance::normalize(seen);
  conformance::normalize(m);
  EXPECT_EQ(test::first_difference(m, seen), "") << "(model vs emulator)";
}

}  // namespace
}  // namespace sgxref::proofs
