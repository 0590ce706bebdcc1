#include "conformance/step_check.h"

#include <sstream>

#include "conformance/abstraction.h"
#include "model/world.h"
#include "testlib/test_signing_key.h"

namespace sgxref::conformance {

namespace arch = model::arch;

namespace {

// Which invariant the state breaks, or nullptr.
const char* broken_invariant(const Model& s) {
  const model::Concrete d;
  if (!arch::h1(d, s)) return "H1";
  if (!arch::h2(d, s)) return "H2";
  if (!arch::h3(d, s)) return "H3";
  if (!arch::h4(d, s)) return "H4";
  return nullptr;
}

// How the emulator's state differs from the model's `s`, or "".
std::string state_difference(const Model& s, const HwRunner& hw) {
  Model want = s;
  Model seen = abstract(hw);
  normalize(want);
  normalize(seen);
  if (const std::string diff = model::test::first_difference(want, seen); !diff.empty()) {
    return "state differs at " + diff + " (model vs emulator)";
  }
  if (const char* broken = broken_invariant(seen)) {
    return std::string(broken) + " broken on the emulator";
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
  std::string e = outcome_difference("EBLOCK: ", got.eblock, r.outcome.eblock);
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
  for (size_t i = 0; i < all.size(); ++i) {
    if (const StepResult r = check_step(s, hw, all[i]); !r.error.empty()) {
      return "step " + std::to_string(i) + ": " + r.error;
    }
  }
  return "";
}

}  // namespace sgxref::conformance
