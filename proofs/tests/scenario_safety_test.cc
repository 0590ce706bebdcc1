// Bounded model checking from the scenario enclave: every sequence of up to kBound moves
// of an enclave thread and the reclaimer (thread_and_reclaimer_moves(), every operand
// free) keeps H1-H4 and well-formedness (DESIGN.md "Properties"), and each of those
// SAFE verdicts stands next to a witness that the same moves reach the situation the
// property is about, so it is not the verdict of a relation that can do nothing.
#include <gtest/gtest.h>

#include <iostream>

#include "bmc/goal.h"
#include "bmc/moves.h"
#include "bmc/scenario.h"

namespace sgxref::proofs {
namespace {

// The longest witness below, a page a thread cached evicted by the rules (enter, access,
// block, track, leave, evict), takes six steps; the whole run takes seconds.
constexpr size_t kBound = 6;

// A CPU in enclave mode with a TLB entry: what H1 and H2 speak about.
S::Bool inside_with_tlb_entry(const S& d, const State<S>& s) {
  S::Bool r = d.lit(false);
  for (const arch::Cpu<S>& c : s.cpu)
    for (const arch::TlbEntry<S>& t : c.tlb) r = r || (c.mode && t.valid);
  return r;
}

// Step k made `move`, with an ok outcome, and `change(before, after, j)` holds for some
// EPC slot j.
template <class Change>
z3::expr changes_a_slot(const Unrolling& u, size_t k, const char* move, Change change) {
  const S& d = u.domain();
  S::Bool any = d.lit(false);
  for (size_t j = 0; j < u.state(k).epcm.size(); ++j)
    any = any || change(u.state(k), u.state(k + 1), j);
  return u.made(k, move) && (u.outcome(k).kind == arch::kind::kOk).e && any.e;
}

// A REG page evicted while a CPU runs inside its enclave: the case EWB's tracking check
// and H2 are about.
z3::expr reg_page_evicted_with_cpu_inside(const Unrolling& u, size_t k) {
  return changes_a_slot(u, k, "EWB", [&](const State<S>& before, const State<S>& after, size_t j) {
    const arch::Epcm<S>& e = before.epcm[j];
    S::Bool inside = u.domain().lit(false);
    for (const arch::Cpu<S>& c : before.cpu) inside = inside || arch::inside(c, e.secs);
    return e.valid && e.type == arch::pt::kReg && !after.epcm[j].valid && inside;
  });
}

// A REG page evicted that a CPU held in its TLB at an earlier depth: the whole race EWB's
// tracking check decides (cached, blocked, tracked, left, evicted), played legally.
z3::expr cached_page_evicted(const Unrolling& u, size_t k) {
  return changes_a_slot(u, k, "EWB", [&](const State<S>& before, const State<S>& after, size_t j) {
    S::Bool cached = u.domain().lit(false);
    for (size_t i = 0; i < k; ++i)
      for (const arch::Cpu<S>& c : u.state(i).cpu)
        for (const arch::TlbEntry<S>& t : c.tlb)
          cached = cached || (t.valid && t.slot == int64_t(j));
    return before.epcm[j].valid && before.epcm[j].type == arch::pt::kReg && !after.epcm[j].valid &&
           cached;
  });
}

// An evicted page back in the EPC: H4's reload.
z3::expr page_reloaded(const Unrolling& u, size_t k) {
  return changes_a_slot(u, k, "ELDU", [](const State<S>& before, const State<S>& after, size_t j) {
    return !before.epcm[j].valid && after.epcm[j].valid;
  });
}

// A page EMODPR restricted, accepted: what H3 is about.
z3::expr restriction_accepted(const Unrolling& u, size_t k) {
  return changes_a_slot(u, k, "EACCEPT",
                        [](const State<S>& before, const State<S>& after, size_t j) {
                          return before.epcm[j].valid && before.epcm[j].pr && after.epcm[j].valid &&
                                 !after.epcm[j].pr;
                        });
}

// An enclave page freed by EREMOVE: the step a weaker H1 (one that let a TLB entry name a
// SECS, whose ENCLAVESECS and address are 0) was broken by.
z3::expr enclave_page_removed(const Unrolling& u, size_t k) {
  return changes_a_slot(u, k, "EREMOVE", [](const State<S>& before, const State<S>& after, size_t j) {
    return before.epcm[j].valid && arch::is_child_type(before.epcm[j].type) && !after.epcm[j].valid;
  });
}

TEST(ScenarioBmc, ThreadAndReclaimerKeepH1ToH4WithinTheBound) {
  z3::context ctx;
  const arch::Sizes sz = checker_sizes();
  Unrolling u(ctx, scenario_state(sz), thread_and_reclaimer_moves());
  const std::vector<Goal> goals = {
      breaks("H1 TLB safety", [](const S& d, const State<S>& s) { return arch::h1(d, s); }),
      breaks("H2 eviction safety", [](const S& d, const State<S>& s) { return arch::h2(d, s); }),
      breaks("H3 accept safety", [](const S& d, const State<S>& s) { return arch::h3(d, s); }),
      breaks("H4 anti-replay", [](const S& d, const State<S>& s) { return arch::h4(d, s); }),
      breaks("well-formedness",
             [](const S& d, const State<S>& s) { return arch::well_formed(d, s); }),
      reaches("witness: a CPU inside holds a TLB entry", inside_with_tlb_entry),
      steps_to("witness: EWB evicts a REG page, a CPU inside", reg_page_evicted_with_cpu_inside),
      steps_to("witness: EWB evicts a REG page a CPU had cached", cached_page_evicted),
      steps_to("witness: ELDU reloads an evicted page", page_reloaded),
      steps_to("witness: EACCEPT accepts an EMODPR", restriction_accepted),
      steps_to("witness: EREMOVE frees an enclave page", enclave_page_removed),
  };
  const BmcRun run = run_bmc(u, goals, kBound);
  std::cout << "ScenarioBmc: sizes " << sz.slots << " slots, " << sz.cpus << " CPUs, " << sz.pages
            << " pages, " << sz.va_slots << " VA slots, " << sz.blobs << " blobs, " << sz.spaces
            << " space, " << sz.words << " word; " << u.moves().size() << " moves; bound " << kBound
            << "\n"
            << run;

  for (const char* safe : {"H1 TLB safety", "H2 eviction safety", "H3 accept safety",
                           "H4 anti-replay", "well-formedness"}) {
    EXPECT_TRUE(run.goal(safe).unsat_up_to(kBound)) << safe << " breaks within the bound";
  }
  for (const GoalRun& g : run.goals) {
    if (g.name.rfind("witness", 0) != 0) continue;
    ASSERT_TRUE(g.found_at.has_value()) << g.name << " not reached: the SAFE verdicts are vacuous";
    std::cout << g.name << " at depth " << *g.found_at << ":\n";
    for (const TraceStep& t : g.trace) std::cout << "  " << t.op << ",  // " << t.outcome << "\n";
  }
  for (size_t k = 0; k < run.overflow.size(); ++k) {
    EXPECT_EQ(run.overflow[k].result, z3::unsat) << "step " << k << " can exceed a declared width";
  }
}

}  // namespace
}  // namespace sgxref::proofs
