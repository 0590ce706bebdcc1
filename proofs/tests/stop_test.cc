// A check's stop flag (flows/check.h): set at any point, the check throws Interrupted,
// between depths or from inside a Z3 query, which the watchdog interrupts. The bindings'
// Ctrl-C rests on it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "flows/catalogue.h"
#include "flows/check.h"

namespace sgxref::proofs::flows {
namespace {

using Clock = std::chrono::steady_clock;

System restrict_two_threads() { return build_system("restrict", {}, layout_for("restrict", 2, 2)); }

TEST(Stop, AFlagSetBeforeTheCheckStopsItAtTheFirstDepth) {
  const std::atomic<bool> stop{true};
  size_t depths = 0;
  EXPECT_THROW(run_check(restrict_two_threads(), 40, [&](size_t) { ++depths; }, std::nullopt, &stop),
               Interrupted);
  EXPECT_EQ(depths, 0u);
}

TEST(Stop, AFlagSetWhileTheCheckRunsStopsItWithinAFewQueries) {
  // Linux's RESTRICT_PERMISSIONS against two enclave threads takes a minute or more: the
  // flag lands in the middle, and the check may not run on to its end.
  const System sys = restrict_two_threads();
  for (const auto after : {std::chrono::milliseconds(300), std::chrono::milliseconds(2000)}) {
    std::atomic<bool> stop{false};
    std::thread setter([&] {
      std::this_thread::sleep_for(after);
      stop.store(true);
    });
    const auto start = Clock::now();
    EXPECT_THROW(run_check(sys, 200, nullptr, std::nullopt, &stop), Interrupted);
    setter.join();
    const std::chrono::duration<double> took = Clock::now() - start;
    EXPECT_LT(took.count(), std::chrono::duration<double>(after).count() + 5) << "stopped late";
  }
}

TEST(Stop, AFlagSetWhileAProofRunsIsInterruptedNotUnknown) {
  // Out of time is UNKNOWN; stopped by the caller is not, though both interrupt Z3.
  std::atomic<bool> stop{false};
  std::thread setter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    stop.store(true);
  });
  EXPECT_THROW(run_check(restrict_two_threads(), 4, nullptr, 600.0, &stop), Interrupted);
  setter.join();
}

}  // namespace
}  // namespace sgxref::proofs::flows
