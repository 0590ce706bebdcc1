// Conformance commands per second: one random operation (props/model/op_picker.h)
// applied to the model and to the emulator, then the emulator's state abstracted and
// compared with the model's and H1-H4 checked (conformance/step_check.h), exactly as the
// props suite does each step, without RapidCheck around it. Every 100 commands the run
// restarts from the scenario enclave, as the property's test cases do. Reported as a rate
// (`rate arch_conformance_cmds_per_s`): it says how many commands a CI minute buys.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>

#include "conformance/step_check.h"
#include "figures.h"
#include "model/op_picker.h"
#include "model/world.h"
#include "testlib/test_signing_key.h"

namespace {

namespace conf = sgxref::conformance;
namespace mt = sgxref::model::test;

static const sgxref::bench::Rate kConformance("arch_conformance_cmds_per_s",
                                              "BM_ArchConformanceStep");

struct Rng {
  std::mt19937_64 g{0x5EED0005};
  int64_t below(int64_t n) { return int64_t(g() % uint64_t(n)); }
};

void BM_ArchConformanceStep(benchmark::State& state) {
  const auto sz = mt::scenario_sizes();
  Rng rng;
  std::unique_ptr<conf::HwRunner> hw;
  conf::Model s;
  int steps = 100;
  for (auto _ : state) {
    if (steps == 100) {
      state.PauseTiming();
      hw = std::make_unique<conf::HwRunner>(sz, sgxref::testlib::test_signing_key());
      s = sgxref::model::arch::initial_state(sgxref::model::Concrete{}, sz);
      for (const mt::Op& op : mt::scenario_build_ops()) conf::check_step(s, *hw, op);
      steps = 0;
      state.ResumeTiming();
    }
    const mt::Op op = mt::OpPicker<Rng>(rng, s, {.ecreate_base_outside = false}).pick();
    if (!conf::check_step(s, *hw, op).error.empty()) {
      state.SkipWithError("emulator and model disagree: run the props suite");
      break;
    }
    ++steps;
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_ArchConformanceStep);

}  // namespace
