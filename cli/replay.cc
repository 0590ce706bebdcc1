#include "cli/replay.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "cli/bug_binary.h"
#include "cli/driver_bug.h"
#include "flows/catalogue_run.h"
#include "flows/check_json.h"
#include "replay/flow_replay.h"

namespace sgxref::cli {

namespace {

namespace fl = proofs::flows;
namespace rp = proofs::replay;

std::string driver_name() {
  const std::string bug = driver_bug();
  return bug.empty() ? "the driver" : "the driver with bug." + bug;
}

std::string summary(const std::string& property, const rp::ReplayResult& r) {
  std::ostringstream os;
  os << property << (r.shows(property) ? ": shown" : ": NOT shown") << " on " << driver_name()
     << " (" << r.report() << ")";
  return os.str();
}

std::string thread_name(const fl::System& sys, int id) {
  return id == 0 ? std::string("main") : sys.threads[size_t(id - 1)].name;
}

void print_steps(std::ostream& out, const fl::System& sys, const rp::ReplayResult& r) {
  const auto name = [&](int id) { return thread_name(sys, id); };
  size_t width = 6;
  for (const sched::Step& s : r.plan) width = std::max(width, name(s.thread).size());
  out << "  step  " << std::left << std::setw(int(width) + 2) << "thread" << std::setw(15) << "runs on from"
      << "driver after the step\n";
  for (size_t k = 0; k < r.plan.size(); ++k) {
    out << "  " << std::right << std::setw(4) << k + 1 << "  " << std::left << std::setw(int(width) + 2)
        << name(r.plan[k].thread) << std::setw(15) << r.plan[k].point
        << (k < r.driver.states.size() ? r.driver.states[k] : std::string("(not reached)")) << "\n";
  }
}

nlohmann::json replay_json(const fl::System& sys, const std::string& head, const std::string& property,
                           const rp::ReplayResult& r) {
  nlohmann::json steps = nlohmann::json::array();
  for (size_t k = 0; k < r.plan.size(); ++k)
    steps.push_back({{"step", k + 1},
                     {"thread", r.plan[k].thread},
                     {"thread_name", thread_name(sys, r.plan[k].thread)},
                     {"runs_on_from", r.plan[k].point},
                     {"state", k < r.driver.states.size() ? nlohmann::json(r.driver.states[k]) : nlohmann::json(nullptr)}});
  return {{"property", property},  {"shown", r.shows(property)}, {"summary", head + summary(property, r)},
          {"driver", driver_name()}, {"followed", r.followed},     {"report", r.report()},
          {"broken", r.broken},      {"mismatches", r.mismatches}, {"steps", steps}};
}

// Replays one entry here or, when its bug is not this binary's, in the binary that has
// it. True when the driver showed the property. With `json`, the replay's data is added
// to it (by the other binary through `json_file`).
bool replay_entry(const std::string& file, const fl::CounterexampleEntry& c, bool brief,
                  std::ostream& out, nlohmann::json* json, const std::string& json_file) {
  const std::optional<std::string> bug = bug_of(c.entry.switches);
  if (bug.value_or("") != driver_bug()) {
    std::vector<std::string> args{"replay", file, "--entry", std::to_string(c.index)};
    if (brief) args.push_back("--brief");
    const std::string theirs = json_file + ".entry";
    if (json) args.insert(args.end(), {"--json", theirs});
    out << std::flush;
    const bool shown = run_binary(bug_binary(bug.value_or("")), args) == 0;
    if (json) {
      std::ifstream in(theirs);
      nlohmann::json j;
      in >> j;
      for (nlohmann::json& e : j) json->push_back(std::move(e));
      std::remove(theirs.c_str());
    }
    return shown;
  }
  const fl::Built b = fl::build_entry(c.entry);
  const rp::ReplayResult r = rp::replay_on_driver(b.system, b.layout, b.variant, c.steps, !brief || json);
  const std::string head = c.entry.flow + ", " + fl::describe(b.variant) + ": ";
  if (json) json->push_back(replay_json(b.system, head, c.property, r));
  if (brief) {
    out << head << summary(c.property, r) << "\n";
  } else {
    out << "entry " << c.index << ", " << head << c.steps.size() << " steps of the checker's counterexample, "
        << r.plan.size() << " steps on " << driver_name() << "\n";
    print_steps(out, b.system, r);
    out << "  " << summary(c.property, r) << "\n";
  }
  return r.shows(c.property);
}

}  // namespace

int run_replay(const ReplayArgs& args, std::ostream& out, std::ostream& err) {
  std::vector<fl::CounterexampleEntry> entries;
  try {
    std::ifstream in(args.file);
    if (!in) throw std::invalid_argument("cannot read " + args.file);
    nlohmann::json j;
    try {
      in >> j;
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument(args.file + " is not JSON: " + e.what());
    }
    entries = fl::read_counterexamples(j);
    if (args.entry) {
      std::vector<fl::CounterexampleEntry> one;
      for (const fl::CounterexampleEntry& c : entries)
        if (c.index == *args.entry) one.push_back(c);
      if (one.empty())
        throw std::invalid_argument("entry " + std::to_string(*args.entry) + " has no counterexample");
      entries = one;
    }
    if (entries.empty()) throw std::invalid_argument(args.file + " holds no counterexample");
  } catch (const std::invalid_argument& e) {
    err << "sgxref replay: " << e.what() << "\n";
    return 2;
  }
  std::ofstream json_out;
  if (!args.json.empty()) {
    json_out.open(args.json);
    if (!json_out) {
      err << "sgxref replay: --json: cannot write " << args.json << "\n";
      return 2;
    }
  }
  nlohmann::json json = nlohmann::json::array();
  bool all_shown = true;
  for (const fl::CounterexampleEntry& c : entries) {
    try {
      all_shown = replay_entry(args.file, c, args.brief, out, args.json.empty() ? nullptr : &json, args.json) &&
                  all_shown;
    } catch (const std::invalid_argument& e) {
      err << "sgxref replay: entry " << c.index << ": " << e.what() << "\n";
      return 2;
    } catch (const std::logic_error& e) {
      // The schedule does not run on the flow as built now (a file from another version).
      err << "sgxref replay: entry " << c.index << ": the schedule does not fit the flow: " << e.what() << "\n";
      return 2;
    } catch (const std::runtime_error& e) {
      err << "sgxref replay: entry " << c.index << ": " << e.what() << "\n";
      return 2;
    }
  }
  if (json_out) json_out << json.dump(2) << "\n";
  return all_shown ? 0 : 1;
}

namespace {

// A row's counterexample replayed by the binary with the bug's driver, from the row as a
// check's JSON: its exit status, its first line, and with `json` its --json.
struct BugRun {
  int status = 0;
  std::string line;
  nlohmann::json json;
};

BugRun run_in_bug_binary(const fl::Row& r, const std::string& bug, bool json) {
  char path[] = "/tmp/sgxref-replay-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("cannot create a temporary file for the replay");
  close(fd);
  {
    std::ofstream f(path);
    f << fl::check_json({r}).dump() << "\n";
  }
  const std::string said = std::string(path) + ".out", json_file = std::string(path) + ".json";
  std::vector<std::string> args{"replay", path, "--entry", "0", "--brief"};
  if (json) args.insert(args.end(), {"--json", json_file});
  BugRun run;
  run.status = run_binary(bug_binary(bug), args, said);
  std::ifstream in(said);
  std::getline(in, run.line);
  if (json) {
    std::ifstream j(json_file);
    nlohmann::json all = nlohmann::json::parse(j, nullptr, false);
    if (all.is_array() && all.size() == 1) run.json = all[0];
  }
  std::remove(path);
  std::remove(said.c_str());
  std::remove(json_file.c_str());
  if (run.line.empty()) run.line = "sgxref-bug-" + bug + " replay exited with status " + std::to_string(run.status);
  return run;
}

}  // namespace

RowReplay replay_row(const fl::Row& r) {
  const fl::Counterexample& cex = *r.result.cex;
  const std::optional<std::string> bug = bug_of(r.entry.switches);
  if (bug.value_or("") == driver_bug()) {
    const rp::ReplayResult res =
        rp::replay_on_driver(r.system, r.layout, fl::variant_of(r.entry), cex.steps);
    return {res.shows(cex.property), r.entry.flow + ", " + r.variant + ": " + summary(cex.property, res)};
  }
  const BugRun run = run_in_bug_binary(r, *bug, false);
  return {run.status == 0, run.line};
}

nlohmann::json replay_row_json(const fl::Row& r) {
  const fl::Counterexample& cex = *r.result.cex;
  const std::optional<std::string> bug = bug_of(r.entry.switches);
  if (bug.value_or("") == driver_bug()) {
    const rp::ReplayResult res =
        rp::replay_on_driver(r.system, r.layout, fl::variant_of(r.entry), cex.steps, true);
    return replay_json(r.system, r.entry.flow + ", " + r.variant + ": ", cex.property, res);
  }
  const BugRun run = run_in_bug_binary(r, *bug, true);
  if (run.json.is_null())
    throw std::runtime_error("sgxref-bug-" + *bug + " gave no replay (" + run.line + ")");
  return run.json;
}

SampleReplay replay_samples(const fl::Row& r, size_t samples) {
  SampleReplay s;
  const std::vector<rp::ReplayResult> runs =
      rp::replay_random_runs(r.system, r.layout, fl::variant_of(r.entry), samples, r.bound);
  for (size_t i = 0; i < runs.size(); ++i) {
    ++s.samples;
    if (runs[i].clean()) {
      ++s.clean;
    } else if (s.first_failure.empty()) {
      s.first_failure = "seed " + std::to_string(i + 1) + ": " + runs[i].report();
    }
  }
  return s;
}

}  // namespace sgxref::cli
