#include "bmc/scenario.h"

#include <sstream>
#include <stdexcept>

namespace sgxref::proofs {

arch::Sizes checker_sizes() {
  arch::Sizes sz;
  sz.slots = 6;
  sz.cpus = 2;
  sz.pages = 4;
  sz.va_slots = 2;
  sz.blobs = 2;
  sz.spaces = 1;
  sz.words = 1;
  return sz;
}

State<C> scenario_state(const arch::Sizes& sz) {
  const C d;
  State<C> s = arch::initial_state(d, sz);
  for (const test::Op& op : test::scenario_build_ops()) {
    if (test::apply(d, s, op).kind != arch::kind::kOk) {
      std::ostringstream m;
      m << "the scenario does not build at these sizes: " << op << " fails";
      throw std::invalid_argument(m.str());
    }
  }
  return s;
}

}  // namespace sgxref::proofs
