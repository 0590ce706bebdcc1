// The replay of flows on impl/driver (proofs/replay): random schedules of the flows run
// on the driver step for step and the driver does what the flow does (no WARN, `count`
// and the EPCM agree, no SGX_NOT_TRACKED after a success, the flow's return value and
// count); and the checker's counterexamples, kept in proofs/regressions, do not break
// the driver as it is (each shows on its bug's driver: cli's replay test).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "flows/catalogue.h"
#include "flows/catalogue_run.h"
#include "flows/check_json.h"
#include "flows/random_run.h"
#include "replay/flow_replay.h"

namespace sgxref::proofs::replay {
namespace {

struct Sampled {
  flows::Layout l;
  flows::Variant v;
  flows::System sys;
};

Sampled system_for(const std::string& flow, const flows::Variant& v, size_t pages, size_t threads) {
  const flows::Layout l = flows::layout_for(flow, pages, threads);
  return {l, v, flows::build_system(flow, v, l)};
}

// How many of a sample's plans pass each point at least once.
using Reach = std::map<std::string, int>;

Reach replay_samples(const Sampled& s, uint64_t seeds, size_t max_steps) {
  Reach reach;
  const std::vector<ReplayResult> runs = replay_random_runs(s.sys, s.l, s.v, seeds, max_steps);
  for (size_t i = 0; i < runs.size(); ++i) {
    const ReplayResult& r = runs[i];
    EXPECT_TRUE(r.clean()) << "seed " << i + 1 << ": " << r.report() << "\n  plan "
                           << sched::to_string(r.plan);
    std::map<std::string, bool> passed;
    for (const sched::Step& p : r.plan) passed[p.point] = true;
    for (const auto& [point, yes] : passed) reach[point] += yes ? 1 : 0;
  }
  std::cout << "seeds 1-" << seeds << ", plans passing each point:";
  for (const auto& [point, n] : reach) std::cout << " " << point << " " << n;
  std::cout << "\n";
  return reach;
}

// A replay lists every point a flow's steps end at (else the driver could pass it
// unchecked), and "eremove.end" for REMOVE_PAGES alone: the reclaimer's EREMOVE of the
// SECS after its EWB is inside one of its steps.
TEST(Replay, EveryPointAFlowsStepsEndAtIsListed) {
  for (const std::string& flow : flows::flow_names()) {
    const Sampled s = system_for(flow, {}, 2, flow == "eaug-reclaim" ? 0 : 1);
    const std::vector<std::string> listed = flow_points(s.sys);
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      for (const flows::FlowStep& step : flows::random_run(s.sys, seed, 200)) {
        if (step.point.empty()) continue;
        EXPECT_NE(std::find(listed.begin(), listed.end(), step.point), listed.end()) << flow << ": " << step.point;
      }
    }
    const bool eremove = std::find(listed.begin(), listed.end(), "eremove.end") != listed.end();
    EXPECT_EQ(eremove, flow == "remove") << flow;
  }
}

TEST(Replay, RandomSchedulesOfRestrictReplayCleanOnTheDriver) {
  Reach reach = replay_samples(system_for("restrict", {}, 2, 2), 40, 200);
  // An IPI's AEX and the ERESUME after it, and the ETRACK's IPI retry.
  EXPECT_GE(reach["eresume.end"], 10);
  EXPECT_GE(reach["ipi_mask.end"], 40);
}

TEST(Replay, RandomSchedulesOfTheEaugFaultWithTheReclaimerReplayCleanOnTheDriver) {
  Reach reach = replay_samples(system_for("eaug-reclaim", {}, 1, 0), 80, 200);
  // The hole augmented, after the SECS was loaded back in some runs.
  EXPECT_GE(reach["eaug.end"], 80);
  EXPECT_GE(reach["eldu.end"], 8);
}

TEST(Replay, RandomSchedulesOfModifyTypesWithTheReclaimerReplayCleanOnTheDriver) {
  Reach reach = replay_samples(system_for("modify-types-reclaim", {}, 2, 0), 200, 300);
  // ksgxd writes pages out in every run. The ioctl mostly meets a page ksgxd has isolated
  // and not yet written (-EAGAIN, count 0): it changes a type in 91 runs, and loads a
  // page ksgxd wrote back (ELDU) in 2, the rarest interleaving, which needs ksgxd's whole
  // batch between two of the ioctl's steps.
  EXPECT_GE(reach["ewb.end"], 200);
  EXPECT_GE(reach["emodt.end"], 80);
  EXPECT_GE(reach["eldu.end"], 2);
}

TEST(Replay, RandomSchedulesOfRestrictWithTheReclaimerReplayCleanOnTheDriver) {
  Reach reach = replay_samples(system_for("restrict-reclaim", {}, 2, 1), 40, 300);
  // Pages written out, and loaded back by the ioctl or the fault handler.
  EXPECT_GE(reach["ewb.end"], 20);
  EXPECT_GE(reach["eldu.end"], 10);
  EXPECT_GE(reach["eresume.end"], 10);
}

TEST(Replay, RandomSchedulesOfTheBatchedAlternativeReplayCleanOnTheDriver) {
  flows::Variant v;
  ASSERT_EQ(flows::set_switch(v, "restrict.etrack=batched"), "");
  Reach reach = replay_samples(system_for("restrict-reclaim", v, 2, 0), 40, 300);
  // Pages written out, and pages restricted before the batch's ETRACK.
  EXPECT_GE(reach["ewb.end"], 20);
  EXPECT_GE(reach["emodpr.end"], 10);
}

TEST(Replay, RandomSchedulesOfRemovePagesReplayCleanOnTheDriver) {
  Reach reach = replay_samples(system_for("remove", {}, 2, 2), 60, 300);
  // Pages removed after an EACCEPT, the probe refusing one not yet accepted, and a
  // second thread's EACCEPT of a removed page meeting the page its fault EAUGs there
  // (seed 51 once found the flow loading a page erased since its look-up: SIGBUS).
  EXPECT_GE(reach["eremove.end"], 12);
  EXPECT_GE(reach["emodpr.end"], 60);
  EXPECT_GE(reach["eaug.end"], 5);
}

TEST(Replay, RandomSchedulesOfModifyTypesReplayCleanOnTheDriver) {
  Reach reach = replay_samples(system_for("modify-types", {}, 2, 2), 40, 200);
  // EMODT and the ETRACK flow's IPIs, with the enclave threads' AEXs and ERESUMEs.
  EXPECT_GE(reach["emodt.end"], 40);
  EXPECT_GE(reach["eresume.end"], 10);
}

// Each counterexample the checker found for a bug switch, replayed on the driver
// without the bug: the driver does not break the property (the plan cannot be followed
// where the driver does what the bug skips, or it runs clean). With the bug's patch in
// (props/mutants), the same schedule breaks it.
TEST(ReplayRegressions, BugCounterexamplesDoNotBreakTheLinuxDriver) {
  std::ifstream in("proofs/regressions/catalogue-counterexamples.json");
  ASSERT_TRUE(in) << "cannot read proofs/regressions/catalogue-counterexamples.json";
  const std::vector<flows::CounterexampleEntry> kept =
      flows::read_counterexamples(nlohmann::json::parse(in));
  for (const flows::CounterexampleEntry& c : kept) {
    const flows::Built b = flows::build_entry(c.entry);
    const ReplayResult r = replay_on_driver(b.system, b.layout, b.variant, c.steps);
    EXPECT_FALSE(r.shows(c.property)) << c.entry.flow << ", " << flows::describe(b.variant) << ": "
                                      << r.report();
  }
  EXPECT_EQ(kept.size(), 8u);
}

// Found by counterexample_json_fuzz: a check's JSON without "entries", or with a
// "format" that is not a string, escaped the reader as nlohmann's own exception, which
// `sgxref replay` does not take for a refusal (it ended in std::terminate); and a count
// given as a float out of range was cast unchecked.
TEST(CounterexampleReader, RefusesEveryMalformedShapeWithInvalidArgument) {
  for (const char* text : {R"({"format": "sgxref-check-1"})", R"({"format": 1, "entries": []})",
                           R"({"format": "sgxref-check-1", "entries": {}})", "[]", "null",
                           R"({"format": "sgxref-check-1", "entries": [{"counterexample": 1}]})",
                           // A count out of size_t's range as a float, which nlohmann
                           // would cast unchecked (UBSan's report, in the same fuzz run).
                           R"({"format": "sgxref-check-1", "entries": [{"flow": "restrict",
                               "switches": [], "enclave_threads": 8.9e41, "pages": 2,
                               "counterexample": {"property": "D1", "steps": []}}]})"}) {
    EXPECT_THROW(flows::read_counterexamples(nlohmann::json::parse(text)), std::invalid_argument)
        << text;
  }
}

}  // namespace
}  // namespace sgxref::proofs::replay
