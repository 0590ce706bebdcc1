// Conformance of the emulator (impl/hw) with the architectural model (model/arch): random
// operation sequences over two CPUs run on both; after every step the outcome (code or
// fault, with error code and address) and the whole abstracted state (EPCM, page bytes
// the model reads, CPU modes, TLBs, tracking ages, page table, blobs, EID and version
// counters) must be equal, and H1-H4 must hold on the emulator's state.
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

constexpr int kCiCases = 2000;
constexpr int kMaxCommands = 150;

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

// The EPC slot an operation names as its target (RCX), if it has one.
int64_t target_slot(const model::test::Op& op) {
  return std::visit(
      [](const auto& a) -> int64_t {
        if constexpr (requires { a.slot; }) {
          return a.slot;
        } else if constexpr (requires { a.secs; }) {
          return a.secs;
        } else {
          return -1;
        }
      },
      op.args);
}

// An EBLOCK parked with its lock on a page while an operation on another CPU runs,
// usually one that targets the same page.
struct OverlapStep : rc::state::Command<Model, HwRunner> {
  model::test::OverlapOp op;

  explicit OverlapStep(const Model& s) : op(make(s)) {}

  static model::test::OverlapOp make(const Model& s) {
    RcRandom r;
    const int64_t cpus = int64_t(s.sz.cpus);
    const int64_t kernel = r.below(cpus);
    RC_PRE(!s.cpu[size_t(kernel)].mode);
    for (int tries = 0; tries < 20; ++tries) {
      const model::test::Op other =
          model::test::OpPicker<RcRandom>(r, s, {.ecreate_base_outside = false}).pick();
      const int64_t cpu = model::test::op_cpu(other);
      if (cpu < 0 || cpu == kernel) continue;
      const int64_t t = target_slot(other);
      const int64_t slot = t >= 0 && t < int64_t(s.sz.slots) && r.below(100) < 80
                               ? t
                               : r.below(int64_t(s.sz.slots));
      return {arch::PageOp<C>{kernel, slot}, other};
    }
    RC_DISCARD("no operation for another CPU");
  }

  void checkPreconditions(const Model& s) const override {
    const int64_t cpu = model::test::op_cpu(op.other);
    RC_PRE(!s.cpu[size_t(op.eblock.cpu)].mode);
    RC_PRE(cpu >= 0 && cpu != op.eblock.cpu);
  }

  void apply(Model& s) const override { model::test::apply(model::Concrete{}, s, op); }

  void run(const Model& s, HwRunner& hw) const override {
    Model next = s;
    const OverlapResult r = check_overlap(next, hw, op);
    if (!r.error.empty()) RC_FAIL(r.error);
    for (Event e : events(s, op.other, r.outcome.other)) {
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
    // Half the cases start from the scenario enclave, half from power-on.
    if (*rc::gen::arbitrary<bool>()) {
      for (const model::test::Op& op : model::test::scenario_build_ops()) {
        RC_ASSERT(check_step(s, hw, op).error == "");
      }
    }
    coverage().start_case();
    // One command in eight is an overlap.
    rc::state::check(
        s, hw,
        rc::state::gen::execOneOfWithArgs<Step, Step, Step, Step, Step, Step, Step, OverlapStep>());
  });
  std::printf("ArchConformance coverage:\n%s", coverage().report().c_str());
  EXPECT_TRUE(ok);
  for (int e = 0; e < kEventCount; ++e) {
    EXPECT_GT(coverage().cases(Event(e)), 0u) << kEventNames[e] << " never happened";
  }
}

}  // namespace
}  // namespace sgxref::conformance
