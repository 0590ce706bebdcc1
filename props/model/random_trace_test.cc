// Random traces through the concrete model keep well-formedness and H1-H4 after every
// step, every field within its declared width, and a refused leaf changes nothing but the
// AEX its fault may cause.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "model/leaves.h"
#include "model/random_walk.h"
#include "model/widths.h"
#include "model/world.h"

namespace sgxref::model::test {
namespace {

constexpr uint64_t kSeed = 0x5EED0001;

// Which invariant fails, or nullptr.
const char* broken_invariant(const World& w) {
  if (!well_formed(w.d, w.s)) return "well_formed";
  if (!h1(w.d, w.s)) return "H1";
  if (!h2(w.d, w.s)) return "H2";
  if (!h3(w.d, w.s)) return "H3";
  if (!h4(w.d, w.s)) return "H4";
  return nullptr;
}

TEST(ArchModelRandom, TracesKeepInvariants) {
  std::printf("ArchModelRandom seed 0x%llx\n", static_cast<unsigned long long>(kSeed));
  RandomWalk walk(kSeed);
  std::array<int, kLeafCount> ok_count{};
  for (int trace = 0; trace < 2000; ++trace) {
    // Half the traces start from the scenario enclave, half from power-on with the sizes
    // the symbolic checks use.
    World w(trace % 2 == 0 ? scenario_sizes() : Sizes{4, 2, 4, 2, 3});
    if (trace % 2 == 0) {
      ASSERT_TRUE(w.build_enclave());
    }
    for (int step = 0; step < 100; ++step) {
      const State<C> before = w.s;
      const auto [leaf, out] = walk.step(w);
      if (out.kind == kind::kOk) ++ok_count[size_t(leaf)];
      // A refused leaf changes nothing, unless its fault caused an AEX.
      bool aex = false;
      for (size_t c = 0; c < before.cpu.size(); ++c)
        aex = aex || before.cpu[c].mode != w.s.cpu[c].mode;
      const bool refused = out.kind != kind::kOk && !(out == Code(sgx::kVaSlotOccupied));
      ASSERT_TRUE(!refused || aex || same(before, w.s))
          << kLeafNames[leaf] << " -> " << out << " changed " << first_difference(before, w.s)
          << " at trace " << trace << " step " << step;
      ASSERT_EQ(outside_widths(w.s), "") << " after " << kLeafNames[leaf] << " at trace " << trace
                                         << " step " << step;
      const char* broken = broken_invariant(w);
      ASSERT_EQ(broken, nullptr) << broken << " broken by " << kLeafNames[leaf] << " -> " << out
                                 << " at trace " << trace << " step " << step;
    }
  }
  for (int leaf = 0; leaf < kLeafCount; ++leaf) {
    std::printf("  %-12s %6d successes\n", kLeafNames[leaf], ok_count[size_t(leaf)]);
    EXPECT_GT(ok_count[size_t(leaf)], 0) << kLeafNames[leaf] << " never succeeded";
  }
}

}  // namespace
}  // namespace sgxref::model::test
