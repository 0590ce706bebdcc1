// Conformance of the emulator (impl/hw) with the architectural model (model/arch): random
// operation sequences over two CPUs and two address spaces run on both, one command in
// eight two leaves at once (one parked between its phases); after every step the
// emulator's state must keep well-formedness and H1-H4 on its own, and the outcome (code
// or fault, with error code and address, a load's word, EREPORT's key) and the whole
// abstracted state (EPCM, page bytes the model reads and the words of contents, what was
// measured, CPU modes, TLBs, tracking ages, page tables, blobs as sealed) must equal the
// model's. Every state in coverage.h must be reached in at least kMinCases test cases.
//
// A failure prints RapidCheck's seed and a RC_PARAMS="reproduce=..." line that replays
// the minimal sequence, and the sequence itself as model::test::Op values: paste it into
// a test under props/regressions.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <cstdio>
#include <variant>
#include <memory>
#include <sstream>

#include "conformance/abstraction.h"
#include "conformance/budget.h"
#include "conformance/coverage.h"
#include "conformance/hw_runner.h"
#include "conformance/step_check.h"
#include "model/op_picker.h"
#include "model/world.h"
#include "testlib/test_signing_key.h"

namespace sgxref::conformance {
namespace {

namespace arch = model::arch;

constexpr int kCiCases = 3000;
constexpr int kMaxCommands = 300;
constexpr uint64_t kMinCases = 50;

Coverage& coverage() {
  static Coverage c;
  return c;
}

// RapidCheck as the picker's random source, so shrinking moves every choice towards 0.
struct RcRandom {
  int64_t below(int64_t n) { return *rc::gen::inRange<int64_t>(0, n); }
};

struct Step : rc::state::Command<Model, HwRunner> {
  model::test::Op op;

  explicit Step(const Model& s)
      : op([&] {
          RcRandom r;
          return model::test::OpPicker<RcRandom>(r, s, {.ecreate_base_outside = false}).pick();
        }()) {}

  void apply(Model& s) const override { model::test::apply(model::Concrete{}, s, op); }

  void run(const Model& s, HwRunner& hw) const override {
    Model next = s;
    const StepResult r = check_step(next, hw, op);
    if (!r.error.empty()) RC_FAIL(r.error);
    for (Event e : events(s, op, r.outcome)) {
      coverage().add(e);
      RC_TAG(kEventNames[e]);
    }
  }

  void show(std::ostream& os) const override { os << op; }
};

// A two-phase leaf parked at its scheduling point on its own thread while an operation
// on another CPU runs, usually one that names the same page.
struct OverlapStep : rc::state::Command<Model, HwRunner> {
  model::test::OverlapOp op;

  explicit OverlapStep(const Model& s) : op(make(s)) {}

  static model::test::OverlapOp make(const Model& s) {
    RcRandom r;
    const auto op =
        model::test::OpPicker<RcRandom>(r, s, {.ecreate_base_outside = false}).pick_overlap();
    if (!op) RC_DISCARD("no two operations for two CPUs");
    return *op;
  }

  // The pair is still one the emulator can run as an overlap in the state shrinking
  // replays it in: the parked CPU is free, the other operation does not interrupt it, and
  // an ELDx's blob is not rewritten under it (the runner hands ELDx a private copy).
  void checkPreconditions(const Model& s) const override {
    const int64_t cpu = model::test::op_cpu(op.parked);
    // (RC_PRE decomposes its expression, so each condition is computed first.)
    const bool free = s.cpu[size_t(cpu)].flight.leaf == model::arch::flight::kNone;
    RC_PRE(free);
    const bool apart = model::test::op_cpu(op.other) != cpu && !model::test::interrupts(op.other, cpu);
    RC_PRE(apart);
    const auto* eld = std::get_if<model::arch::EldOp<C>>(&op.parked.args);
    const auto* ewb = std::get_if<model::arch::EwbOp<C>>(&op.other.args);
    const bool blob_kept = eld == nullptr || ewb == nullptr || ewb->blob != eld->blob;
    RC_PRE(blob_kept);
  }

  void apply(Model& s) const override { model::test::apply(model::Concrete{}, s, op); }

  void run(const Model& s, HwRunner& hw) const override {
    Model next = s;
    const OverlapResult r = check_overlap(next, hw, op);
    if (!r.error.empty()) RC_FAIL(r.error);
    for (Event e : overlap_events(s, op, r.outcome)) {
      coverage().add(e);
      RC_TAG(kEventNames[e]);
    }
  }

  void show(std::ostream& os) const override { os << op; }
};

TEST(ArchConformance, EmulatorFollowsModel) {
  const std::string budget = set_budget(kCiCases, kMaxCommands);
  std::printf("ArchConformance: RC_PARAMS=\"%s\"\n", budget.c_str());
  const bool ok = rc::check("emulator follows model/arch", [] {
    const arch::Sizes sz = model::test::scenario_sizes();
    HwRunner hw(sz, testlib::test_signing_key());
    Model s = arch::initial_state(model::Concrete{}, sz);
    // A case starts from power-on (one in five), the scenario enclave (two in five), or
    // that and a second enclave at the same addresses in address space 1.
    const int start = *rc::gen::inRange(0, 5);
    std::vector<model::test::Op> setup;
    if (start >= 1) setup = model::test::scenario_build_ops();
    if (start >= 3) {
      for (const model::test::Op& op : model::test::second_enclave_ops()) setup.push_back(op);
    }
    for (const model::test::Op& op : setup) RC_ASSERT(check_step(s, hw, op).error == "");
    coverage().start_case();
    // One command in eight is an overlap.
    rc::state::check(
        s, hw,
        rc::state::gen::execOneOfWithArgs<Step, Step, Step, Step, Step, Step, Step, OverlapStep>());
  });
  std::printf("ArchConformance coverage:\n%s", coverage().report().c_str());
  EXPECT_TRUE(ok);
  // Each state the run must reach, in enough test cases to mean something.
  for (int e = 0; e < kEventCount; ++e) {
    EXPECT_GE(coverage().cases(Event(e)), kMinCases) << kEventNames[e] << " too rare";
  }
}

}  // namespace
}  // namespace sgxref::conformance
