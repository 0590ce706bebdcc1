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
#include "cli/check_json.h"
#include "cli/driver_bug.h"
#include "flows/catalogue.h"
#include "replay/flow_replay.h"

namespace sgxref::cli {

namespace {

namespace fl = proofs::flows;
namespace rp = proofs::replay;

struct Rebuilt {
  fl::Variant variant;
  fl::Layout layout;
  fl::System system;
};

Rebuilt rebuild(const fl::Entry& e) {
  const fl::Variant v = fl::variant_of(e);
  const fl::Layout l = fl::layout_for(e.flow, e.pages, e.enclave_threads);
  return {v, l, fl::build_system(e.flow, v, l)};
}

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

void print_steps(std::ostream& out, const fl::System& sys, const rp::ReplayResult& r) {
  const auto name = [&](int id) { return id == 0 ? std::string("main") : sys.threads[size_t(id - 1)].name; };
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

// Replays one entry here or, when its bug is not this binary's, in the binary that has
// it. True when the driver showed the property.
bool replay_entry(const std::string& file, const CounterexampleEntry& c, bool brief,
                  std::ostream& out) {
  const std::optional<std::string> bug = bug_of(c.entry.switches);
  if (bug.value_or("") != driver_bug()) {
    std::vector<std::string> args{"replay", file, "--entry", std::to_string(c.index)};
    if (brief) args.push_back("--brief");
    out << std::flush;
    return run_binary(bug_binary(bug.value_or("")), args) == 0;
  }
  const Rebuilt b = rebuild(c.entry);
  const rp::ReplayResult r = rp::replay_on_driver(b.system, b.layout, b.variant, c.steps, !brief);
  const std::string head = c.entry.flow + ", " + fl::describe(b.variant) + ": ";
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
  std::vector<CounterexampleEntry> entries;
  try {
    std::ifstream in(args.file);
    if (!in) throw std::invalid_argument("cannot read " + args.file);
    nlohmann::json j;
    try {
      in >> j;
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument(args.file + " is not JSON: " + e.what());
    }
    entries = read_counterexamples(j);
    if (args.entry) {
      std::vector<CounterexampleEntry> one;
      for (const CounterexampleEntry& c : entries)
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
  bool all_shown = true;
  for (const CounterexampleEntry& c : entries) {
    try {
      all_shown = replay_entry(args.file, c, args.brief, out) && all_shown;
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
  return all_shown ? 0 : 1;
}

RowReplay replay_row(const fl::Row& r) {
  const fl::Counterexample& cex = *r.result.cex;
  const std::optional<std::string> bug = bug_of(r.entry.switches);
  if (bug.value_or("") == driver_bug()) {
    const rp::ReplayResult res =
        rp::replay_on_driver(r.system, r.layout, fl::variant_of(r.entry), cex.steps);
    return {res.shows(cex.property), r.entry.flow + ", " + r.variant + ": " + summary(cex.property, res)};
  }
  // The row as a check's JSON, for the binary with the bug's driver.
  char path[] = "/tmp/sgxref-replay-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("cannot create a temporary file for the replay");
  close(fd);
  {
    std::ofstream f(path);
    f << check_json({r}).dump() << "\n";
  }
  const std::string said = std::string(path) + ".out";
  const int status = run_binary(bug_binary(*bug), {"replay", path, "--entry", "0", "--brief"}, said);
  std::ifstream in(said);
  std::string line;
  std::getline(in, line);
  std::remove(path);
  std::remove(said.c_str());
  if (line.empty()) line = "sgxref-bug-" + *bug + " replay exited with status " + std::to_string(status);
  return {status == 0, line};
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
