// The unrolling's own rules (bmc/unrolling.h): it starts from exactly the concrete state
// it is given, each step's state is fresh variables named for the step and the field, and
// a transition that computes a value its field's declared width cannot hold is reported
// rather than silently ruled out by the equality that ties the next state to it.
#include "bmc/unrolling.h"

#include <gtest/gtest.h>

#include <type_traits>

#include "bmc/moves.h"
#include "bmc/scenario.h"
#include "model/leaves.h"

namespace sgxref::proofs {
namespace {

// A page-table move whose slot operand is `extra` bits wider than a PTE's slot field.
Move pte_set_with_wide_slot(unsigned extra) {
  return make_move(
      "pte_set", test::Leaf::kPteSetNoIpi,
      [extra](auto& g) {
        using D = DomainOf<std::remove_reference_t<decltype(g)>>;
        const unsigned bits = arch::widths(checker_sizes()).slot + extra;
        return arch::PteSetOp<D>{g.space(), g.page(), g.value(bits), g.flag(), g.flag()};
      },
      [](const auto& d, auto& s, const auto& op) { return arch::pte_set(d, s, op); });
}

TEST(Unrolling, StartsFromTheConcreteStateItIsGiven) {
  z3::context ctx;
  const State<C> start = scenario_state(checker_sizes());
  Unrolling u(ctx, start, thread_and_reclaimer_moves());
  ASSERT_EQ(u.check(ctx.bool_val(true)).result, z3::sat);
  EXPECT_EQ(test::first_difference(u.concrete_state(0), start), "");
}

TEST(Unrolling, NamesEachStepsVariablesByStepAndField) {
  z3::context ctx;
  Unrolling u(ctx, scenario_state(checker_sizes()), thread_and_reclaimer_moves());
  u.extend();
  u.extend();
  EXPECT_EQ(u.state(2).epcm[3].valid.e.decl().name().str(), "s2.epcm[3].valid");
  EXPECT_EQ(u.state(1).cpu[1].tlb[2].slot.e.decl().name().str(), "s1.cpu[1].tlb[2].slot");
  EXPECT_EQ(u.state(1).cpu[1].tlb[2].slot.width(), arch::widths(checker_sizes()).slot);
}

TEST(Unrolling, ReportsAStepThatCanExceedADeclaredWidth) {
  z3::context ctx;
  const State<C> start = scenario_state(checker_sizes());
  Unrolling fits(ctx, start, {pte_set_with_wide_slot(0)});
  EXPECT_EQ(fits.extend().result, z3::unsat);
  Unrolling exceeds(ctx, start, {pte_set_with_wide_slot(1)});
  EXPECT_EQ(exceeds.extend().result, z3::sat);
}

}  // namespace
}  // namespace sgxref::proofs
