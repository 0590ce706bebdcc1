// File: the reclaim command of the uapi properties: one ksgxd batch, or every page
// written out (the SECS after its children), on the driver's side only, since reclaim
// is invisible to the model; then the world is compared with the model as it was (the
// harness's `expected`), by the property's own `expect_state(harness, model)`, found
// beside its Harness.
#pragma once

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <ostream>

namespace sgxref::props {

template <class Model, class Harness>
struct ReclaimCommand : rc::state::Command<Model, Harness> {
  bool all = *rc::gen::arbitrary<bool>();

  explicit ReclaimCommand(const Model&) {}

  void apply(Model&) const override {}

  void run(const Model&, Harness& h) const override {
    if (all) {
      h.world.evict_all();
    } else {
      h.world.reclaim_batch();
    }
    expect_state(h, h.expected);
  }

  void show(std::ostream& os) const override {
    os << (all ? "Reclaim{every page}" : "Reclaim{one batch}");
  }
};

}  // namespace sgxref::props
