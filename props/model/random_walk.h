// Random transitions through the concrete model from a seed: OpPicker's choices drawn
// from a std::mt19937_64, applied to a World.
#pragma once

#include <cstdint>
#include <random>
#include <utility>

#include "model/op_picker.h"
#include "model/world.h"

namespace sgxref::model::test {

class RandomWalk {
 public:
  explicit RandomWalk(uint64_t seed) : rng_(seed) {}

  // Applies one random operation to w; returns its leaf and its outcome.
  std::pair<Leaf, Out> step(World& w) {
    const Op op = OpPicker<RandomWalk>(*this, w.s).pick();
    return {op.leaf, apply(w.d, w.s, op)};
  }

  int64_t below(int64_t n) { return int64_t(rng_() % uint64_t(n)); }

 private:
  std::mt19937_64 rng_;
};

}  // namespace sgxref::model::test
