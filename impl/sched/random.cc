#include "sched/rng.h"
#include "sched/strategy.h"

namespace sgxref::sched {
namespace {

class Random final : public Strategy {
 public:
  explicit Random(uint64_t seed) : rng_(seed) {}

  Pick pick(const Decision& d) override {
    return {d.runnable[rng_.below(d.runnable.size())].thread, {}};
  }

 private:
  Rng rng_;
};

}  // namespace

std::unique_ptr<Strategy> random(uint64_t seed) { return std::make_unique<Random>(seed); }

}  // namespace sgxref::sched
