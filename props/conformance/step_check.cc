#include "conformance/step_check.h"

#include <sstream>

#include "conformance/abstraction.h"
#include "model/world.h"
#include "testlib/test_signing_key.h"

namespace sgxref::conformance {

namespace arch = model::arch;

namespace {

// Every invariant the state breaks, as "H1, H2", or "".
std::string broken_invariants(const Model& s) {
  const model::Concrete d;
  std::string broken;
  const auto note = [&](bool holds, const char* name) {
    if (!holds) broken += (broken.empty() ? "" : ", ") + std::string(name);
  };
  note(arch::well_formed(d, s), "well-formedness");
  note(arch::h1(d, s), "H1");
  note(arch::h2(d, s), "H2");
  note(arch::h3(d, s), "H3");
  note(arch::h4(d, s), "H4");
  return broken;
}

// What is wrong with the emulator's state: the invariants it breaks on its own (checked
// first, whatever the model says), or how it differs from the model's `s`; or "".
std::string state_difference(const Model& s, const HwRunner& hw) {
  const Model seen = abstract(hw);
  if (const std::string broken = broken_invariants(seen); !broken.empty()) {
    return broken + " broken on the emulator";
  }
  Model want = s;
  Model seen_normal = seen;
  normalize(want);
  normalize(seen_normal);
  if (const std::string diff = model::test::first_difference(want, seen_normal); !diff.empty()) {
    return "state differs at " + diff + " (model vs emulator)";
  }
  return "";
}

template <class T>
std::string describe(const T& op, const std::string& what) {
  std::ostringstream m;
  m << op << ": " << what;
  return m.str();
}

template <class O>
std::string outcome_difference(const char* which, const O& got, const O& want) {
  if (got == want) return "";
  std::ostringstream m;
  m << which << "emulator " << got << ", model " << want;
  return m.str();
}

}  // namespace

StepResult check_step(Model& s, HwRunner& hw, const Op& op) {
  StepResult r{model::test::apply(model::Concrete{}, s, op), ""};
  std::string e = outcome_difference("", hw.run(op), r.outcome);
  if (e.empty()) e = state_difference(s, hw);
  if (!e.empty()) r.error = describe(op, e);
  return r;
}

OverlapResult check_overlap(Model& s, HwRunner& hw, const model::test::OverlapOp& op) {
  OverlapResult r{model::test::apply(model::Concrete{}, s, op), ""};
  const model::test::OverlapOutcome got = hw.run(op);
  std::string e = outcome_difference("parked: ", got.parked, r.outcome.parked);
  if (e.empty()) e = outcome_difference("other: ", got.other, r.outcome.other);
  if (e.empty()) e = state_difference(s, hw);
  if (!e.empty()) r.error = describe(op, e);
  return r;
}

std::string replay(const std::vector<Op>& ops, bool from_scenario) {
  const arch::Sizes sz = model::test::scenario_sizes();
  HwRunner hw(sz, testlib::test_signing_key());
  Model s = arch::initial_state(model::Concrete{}, sz);
  std::vector<Op> all = from_scenario ? model::test::scenario_build_ops() : std::vector<Op>{};
  all.insert(all.end(), ops.begin(), ops.end());
  return replay(all, s, hw, nullptr);
}

std::string replay(const std::vector<Op>& ops, Model& s, HwRunner& hw, const StepHook& before) {
  for (size_t i = 0; i < ops.size(); ++i) {
    if (before) before(i, ops[i], s, hw);
    if (const StepResult r = check_step(s, hw, ops[i]); !r.error.empty()) {
      return "step " + std::to_string(i) + ": " + r.error;
    }
  }
  return "";
}

}  // namespace sgxref::conformance
