// Flow files (proofs/flows/flow_file.h, file_program.h): Linux's RESTRICT_PERMISSIONS
// and MODIFY_TYPES written as files (proofs/flow-files) run exactly as the built-in
// flows, world for world and point for point, over random schedules against ksgxd and
// enclave threads; a file's bug breaks the property the built-in bug breaks, at the same
// depth (the solver runs); and the reader refuses a malformed file, saying where.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "flows/catalogue.h"
#include "flows/check.h"
#include "flows/file_program.h"
#include "flows/flow_file.h"
#include "flows/random_run.h"
#include "model/leaves.h"

namespace sgxref::proofs::flows {
namespace {

std::shared_ptr<const file::FlowFile> shipped(const std::string& name, bool reclaimer) {
  file::FlowFile f = file::read_flow_file(std::string(SGXREF_SOURCE_DIR) + "/proofs/flow-files/" + name);
  f.reclaimer = reclaimer;
  return std::make_shared<const file::FlowFile>(f);
}

// How often the file's thread did each thing over the runs: each point it ended a step
// at, "(runs on)" for a step that reached none, and each of its steps by label.
using Reach = std::map<std::string, int>;

// A seeded schedule of the built-in system that favours one thread at a time (redrawn
// now and then), so that one thread often runs far ahead of another: ksgxd evicting a
// page before the ioctl reaches it, or an ETRACK refused between ksgxd's ETRACK and its
// IPI. Uniform choices rarely get there.
std::vector<FlowStep> favouring_run(const System& sys, uint64_t seed, size_t max_steps) {
  const C d;
  std::mt19937_64 rng(seed);
  const auto draw = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  size_t favoured = draw(sys.threads.size());
  std::vector<FlowStep> steps;
  World<C> w = sys.initial;
  while (steps.size() < max_steps) {
    std::vector<size_t> ready_threads;
    for (size_t t = 0; t < sys.threads.size(); ++t)
      if (ready(d, sys, w, t)) ready_threads.push_back(t);
    if (ready_threads.empty()) break;
    if (draw(8) == 0) favoured = draw(sys.threads.size());
    const bool go = std::find(ready_threads.begin(), ready_threads.end(), favoured) != ready_threads.end();
    const size_t t = go && draw(4) != 0 ? favoured : ready_threads[draw(ready_threads.size())];
    steps.push_back({t, next_point(sys, w, t)});
    w = step(d, sys, w, t);
  }
  return steps;
}

// Seeded schedules of the built-in system, each step taken in both: the same threads
// are ready, each step ends at the same point, and every world is the same.
void expect_same_runs(const System& builtin, const System& from_file, const file::FlowFile& f,
                      uint64_t seeds, Reach& reach) {
  const C d;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    const std::vector<FlowStep> steps = seed % 2 ? random_run(builtin, seed, 200) : favouring_run(builtin, seed, 200);
    World<C> a = builtin.initial, b = from_file.initial;
    ASSERT_TRUE(test::same(a, b)) << test::first_difference(a, b);
    for (size_t k = 0; k < steps.size(); ++k) {
      const size_t t = steps[k].thread;
      for (size_t u = 0; u < builtin.threads.size(); ++u)
        ASSERT_EQ(ready(d, builtin, a, u), ready(d, from_file, b, u)) << "seed " << seed << " step " << k << " thread " << u;
      const std::string point = next_point(from_file, b, t);
      ASSERT_EQ(next_point(builtin, a, t), point) << "seed " << seed << " step " << k << " thread " << t;
      if (t == 0) {
        ++reach[point.empty() ? "(runs on)" : point];
        ++reach[f.steps[size_t(b.th[0].pc)].label];
      }
      a = step(d, builtin, a, t);
      b = step(d, from_file, b, t);
      // The built-in program has more instructions (the batched alternatives' tail):
      // its end is another pc.
      World<C> seen = a;
      if (ended(d, builtin, a, 0)) seen.th[0].pc = int64_t(from_file.length(0));
      ASSERT_TRUE(test::same(seen, b)) << "seed " << seed << " step " << k << ": " << test::first_difference(seen, b);
    }
    ASSERT_TRUE(ended(d, from_file, b, 0)) << "seed " << seed;
  }
}

void print(const std::string& what, const Reach& reach) {
  std::cout << what << ":";
  for (const auto& [k, n] : reach) std::cout << " " << k << " " << n;
  std::cout << "\n";
}

// Each layout the catalogue runs the flow on, and one more page or thread.
struct Size {
  size_t pages, threads;
  bool reclaimer;
};

Reach compare(const std::string& flow, const std::string& file_name, const std::vector<Size>& sizes) {
  Reach reach;
  for (const Size& s : sizes) {
    const auto f = shipped(file_name, s.reclaimer);
    Layout l = layout_for(flow, s.pages, s.threads);
    l.reclaimer = s.reclaimer;
    expect_same_runs(build_system(flow, {}, l), file_system(f, {}, l), *f, 100, reach);
  }
  print(file_name + ", seeds 1-100 per size (odd uniform, even favouring), thread 0's steps", reach);
  return reach;
}

TEST(FlowFile, LinuxRestrictPermissionsWrittenAsAFileRunsAsTheBuiltInFlow) {
  const Reach r = compare("restrict", "restrict-linux.json",
                          {{2, 2, false}, {2, 1, false}, {1, 1, true}, {2, 0, true}, {2, 1, true}});
  // The paths are taken: the ELDU of an evicted page, a busy page (no point: the region
  // runs on), the loop and the return. Not the ETRACK that refuses: Linux's flows
  // leave it no schedule (ksgxd holds the mutex from its ETRACK to its IPI, and the
  // ioctl IPIs after each ETRACK of its own, so whoever was inside at an ETRACK has
  // left by the next).
  EXPECT_GE(r.at("eldu.end"), 25);
  EXPECT_GE(r.at("(runs on)"), 80);
  EXPECT_GE(r.at("lock"), 500);
}

TEST(FlowFile, LinuxModifyTypesWrittenAsAFileRunsAsTheBuiltInFlow) {
  const Reach r = compare("modify-types", "modify-types-linux.json", {{2, 2, false}, {1, 1, true}, {2, 0, true}});
  EXPECT_GE(r.at("eldu.end"), 20);
  EXPECT_GE(r.at("(runs on)"), 50);
  EXPECT_GE(r.at("emodt.end"), 200);
}

// RESTRICT_PERMISSIONS without the ETRACK flow, as a file: the checker finds the broken
// promise of the built-in bug.restrict-skips-etrack, at the same depth.
TEST(FlowFile, AFileWithoutTheEtrackFlowBreaksTheBuiltInBugsPropertyAtItsDepth) {
  const std::string text = R"({
    "sgxref_flow": 1, "name": "no-etrack", "enclave_threads": 1, "pages": 2,
    "steps": [
      {"label": "lock", "ops": [{"op": "reach_lock", "to": "modify"}]},
      {"label": "modify", "mutex": true, "ops": [
        {"op": "load_page"},
        {"op": "fail", "when": "page.busy", "rv": "EAGAIN", "to": "unlock"},
        {"op": "fail", "when": "page.failed", "rv": "EFAULT", "to": "unlock"},
        {"op": "fail", "when": "!page.reg", "rv": "EINVAL", "to": "unlock"},
        {"op": "emodpr"},
        {"op": "warn", "when": "faulted"},
        {"op": "fail", "when": "!ok", "rv": "EFAULT", "to": "unlock"},
        {"op": "next_page"}
      ]},
      {"label": "unlock", "mutex": true, "ops": [
        {"op": "unlock"},
        {"op": "goto", "when": ["rv.ok", "more"], "to": "lock"}
      ]}
    ]})";
  const auto f = std::make_shared<const file::FlowFile>(file::parse_flow_file(text, "no-etrack"));
  const Layout l = file_layout(*f, 2, 1);
  const CheckResult got = run_check(file_system(f, {}, l), 14);
  Variant bug;
  bug.bugs.insert("restrict-skips-etrack");
  const Layout lb = layout_for("restrict", 2, 1);
  const CheckResult want = run_check(build_system("restrict", bug, lb), 14);
  ASSERT_EQ(want.verdict, Verdict3::kUnsafe);
  ASSERT_EQ(got.verdict, Verdict3::kUnsafe);
  EXPECT_EQ(got.cex->property, want.cex->property);
  EXPECT_EQ(got.depth, want.depth);
}

std::string refusal(const std::string& text) {
  try {
    file::parse_flow_file(text, "f.json");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

// A minimal valid flow, so each case below breaks one thing.
std::string flow_with(const std::string& steps) {
  return R"({"sgxref_flow": 1, "name": "x", "steps": [)" + steps + "]}";
}

const char* const kLockStep = R"({"label": "lock", "ops": [{"op": "reach_lock", "to": "m"}]})";

TEST(FlowFileReader, RefusesAMalformedFileSayingWhereAndWhatItTakes) {
  const std::string ok_modify =
      R"({"label": "m", "mutex": true, "ops": [{"op": "emodpr"}, {"op": "next_page"}]},
         {"label": "u", "mutex": true, "ops": [{"op": "unlock"}, {"op": "return"}]})";
  ASSERT_EQ(refusal(flow_with(std::string(kLockStep) + "," + ok_modify)), "(accepted)");
  const std::vector<std::pair<std::string, std::string>> cases{
      {"{", "f.json: not JSON"},
      // Found by flow_file_fuzz: a number beyond a double is nlohmann's out_of_range,
      // not its parse_error, and escaped the reader (a crash of `check --flow-file`).
      {"666666666666e66666", "f.json: not JSON"},
      {R"({"name": "x", "steps": []})", "f.json: \"sgxref_flow\": 1 is missing"},
      {R"({"sgxref_flow": 1, "name": "x", "step": []})", "f.json: unknown key 'step'; it takes about, depth, enclave_threads"},
      {R"({"sgxref_flow": 1, "name": "x", "pages": 9, "steps": []})", "f.json: 'pages' wants a whole number from 1 to 8"},
      {flow_with(""), "f.json: 'steps' wants a list of 1 to 31 steps"},
      {flow_with(std::string(kLockStep) + R"(, {"label": "m", "mutex": true, "ops": [{"op": "emodpe"}]})"),
       "f.json: steps[1] ('m'): ops[0]: unknown op 'emodpe'; ops are emodpr, emodt, etrack"},
      {flow_with(R"({"label": "lock", "ops": [{"op": "reach_lock", "to": "n"}]}, )" + ok_modify),
       "f.json: steps[0] ('lock'): ops[0]: no step is labelled 'n'"},
      {flow_with(std::string(kLockStep) +
                 R"(, {"label": "m", "mutex": true, "ops": [{"op": "emodpr", "when": "pagereg"}]})"),
       "f.json: steps[1] ('m'): ops[0]: emodpr: unknown condition 'pagereg'; a 'when' reads faulted, more, ok"},
      {flow_with(std::string(kLockStep) +
                 R"(, {"label": "m", "mutex": true, "ops": [{"op": "emodpr", "when": "page.in"}]})"),
       "f.json: steps[1] ('m'): ops[0]: a 'when' reads an outcome no earlier op of the step sets"},
      {flow_with(std::string(kLockStep) +
                 R"(, {"label": "m", "mutex": true, "ops": [{"op": "emodpr"}, {"op": "etrack"}]})"),
       "f.json: steps[1] ('m'): ops[1]: a step ends at one scheduling point: put each leaf in a step of its own"},
      {flow_with(std::string(kLockStep) +
                 R"(, {"label": "m", "mutex": true, "ops": [{"op": "emodpr"}, {"op": "unlock"}, {"op": "return"}]})"),
       "f.json: steps[1] ('m'): ops[1]: encl->lock's point is a step of its own: no other lock, load or leaf beside it"},
      {flow_with(std::string(kLockStep) + R"(, {"label": "m", "ops": [{"op": "emodpr"}]})"),
       "f.json: steps[0] ('lock'): ops[0]: reach_lock goes to step 'm', which does not hold the mutex"},
      {flow_with(std::string(kLockStep) + R"(, {"label": "m", "mutex": true, "ops": [{"op": "emodpr"}]})"),
       "f.json: steps[1] ('m'): can run off the last step holding the mutex: unlock and return"},
      {flow_with(std::string(kLockStep) +
                 R"(, {"label": "m", "mutex": true, "ops": [{"op": "emodpr"}, {"op": "return"}]})"),
       "f.json: steps[1] ('m'): ops[1]: returns holding the mutex: unlock first"},
      {flow_with(R"({"label": "m", "ops": [{"op": "emodpr"}, {"op": "goto", "to": "n"}]},
                    {"label": "n", "mutex": true, "ops": [{"op": "unlock"}]})"),
       "f.json: steps[0] ('m'): ops[1]: goes to step 'n', which holds the mutex, without taking it: reach_lock there"},
      {flow_with(std::string(kLockStep) +
                 R"(, {"label": "m", "mutex": true, "ops": [{"op": "fail", "rv": "OK", "to": "m"}]})"),
       "f.json: steps[1] ('m'): ops[0]: fail: 'rv' wants one of EINVAL, EFAULT, EAGAIN"},
      {flow_with(std::string(kLockStep) + R"(, {"label": "m", "mutex": true, "ops": [{"op": "unlock"}]})"),
       "f.json: the flow changes its pages with emodpr (RESTRICT_PERMISSIONS) or with emodt"},
  };
  for (const auto& [text, want] : cases) {
    const std::string got = refusal(text);
    EXPECT_EQ(got.substr(0, want.size()), want) << text;
  }
  EXPECT_EQ(std::string(refusal("")).substr(0, 16), "f.json: not JSON");
}

TEST(FlowFileReader, SaysWhenItCannotReadTheFile) {
  EXPECT_THROW(file::read_flow_file("/nonexistent/flow.json"), std::invalid_argument);
}

}  // namespace
}  // namespace sgxref::proofs::flows
