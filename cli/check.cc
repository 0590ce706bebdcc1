#include "cli/check.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "cli/bug_binary.h"
#include "cli/replay.h"
#include "flows/catalogue.h"
#include "flows/check_json.h"
#include "flows/flow_file.h"
#include "flows/timeline.h"

namespace sgxref::cli {

namespace {

namespace fl = proofs::flows;

std::string property_of(const fl::Row& r) { return r.result.cex ? r.result.cex->property : "-"; }

// Schedules of each SAFE entry replayed on the driver.
constexpr size_t kSafeSamples = 20;

// What the driver showed of a row: its counterexample replayed, or a sample of the
// schedules the checker calls safe.
struct OnDriver {
  bool ok = true;
  std::string cell;  // the table's column
  std::string line;  // said after the table; empty for nothing to add
};

OnDriver on_driver(const fl::Row& r) {
  if (r.entry.file)
    return {true, "-", r.entry.flow + ": the flow file's flow is not the driver's: its verdict is the model's alone"};
  if (r.result.cex) {
    const RowReplay rr = replay_row(r);
    return {rr.shown, rr.shown ? "shown" : "NOT SHOWN", rr.line};
  }
  const fl::Verdict3 v = r.result.verdict;
  if (v != fl::Verdict3::kSafe && v != fl::Verdict3::kProven && v != fl::Verdict3::kUnknown) return {true, "-", ""};
  if (bug_of(r.entry.switches))
    return {true, "not sampled", r.entry.flow + ", " + r.variant + ": no sample of a bug's safe schedules is replayed"};
  const SampleReplay s = replay_samples(r, kSafeSamples);
  const std::string cell = std::to_string(s.clean) + "/" + std::to_string(s.samples) + " clean";
  const std::string failure = s.first_failure.empty() ? "" : r.entry.flow + ", " + r.variant + ": " + s.first_failure;
  return {s.clean == s.samples, cell, failure};
}

struct Expected {
  std::string flow, variant, verdict, property;
};

std::vector<Expected> read_expected(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("--expect: cannot read " + path);
  std::vector<Expected> rows;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Expected e;
    std::getline(fields, e.flow, '\t');
    std::getline(fields, e.variant, '\t');
    std::getline(fields, e.verdict, '\t');
    std::getline(fields, e.property, '\t');
    if (e.property.empty())
      throw std::invalid_argument("--expect: " + path + ":" + std::to_string(n) +
                                  ": want flow, variant, verdict and property separated by tabs");
    rows.push_back(e);
  }
  return rows;
}

// Each difference between the rows and the table, one line each.
std::vector<std::string> differences(const std::vector<fl::Row>& rows, const std::vector<Expected>& want) {
  std::vector<std::string> out;
  if (rows.size() != want.size())
    out.push_back("the table lists " + std::to_string(want.size()) + " entries, the run " +
                  std::to_string(rows.size()));
  for (size_t i = 0; i < std::min(rows.size(), want.size()); ++i) {
    const fl::Row& r = rows[i];
    const Expected got{r.entry.flow, r.variant, fl::verdict_name(r.result.verdict), property_of(r)};
    const Expected& w = want[i];
    if (got.flow != w.flow || got.variant != w.variant || got.verdict != w.verdict || got.property != w.property)
      out.push_back("entry " + std::to_string(i + 1) + ": expected " + w.flow + ", " + w.variant + ": " +
                    w.verdict + " " + w.property + "; got " + got.flow + ", " + got.variant + ": " +
                    got.verdict + " " + got.property);
  }
  return out;
}

void print_table(std::ostream& out, const std::vector<fl::Row>& rows, const std::vector<OnDriver>& driver) {
  size_t variant_w = 7, flow_w = 4;
  for (const fl::Row& r : rows) {
    variant_w = std::max(variant_w, r.variant.size());
    flow_w = std::max(flow_w, r.entry.flow.size());
  }
  out << std::left << std::setw(int(flow_w) + 2) << "flow" << std::setw(int(variant_w) + 2) << "variant"
      << std::setw(9) << "threads" << std::setw(7) << "pages" << std::setw(7) << "depth"
      << std::setw(18) << "verdict" << std::setw(18) << "property" << std::setw(10) << "time"
      << "on the driver\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const fl::Row& r = rows[i];
    std::ostringstream secs;
    secs << std::fixed << std::setprecision(1) << r.result.seconds << " s";
    out << std::left << std::setw(int(flow_w) + 2) << r.entry.flow << std::setw(int(variant_w) + 2) << r.variant
        << std::setw(9) << r.threads << std::setw(7) << r.layout.data_pages << std::setw(7)
        << r.result.depth << std::setw(18) << fl::verdict_text(r) << std::setw(18)
        << property_of(r) << std::setw(10) << secs.str() << driver[i].cell << "\n";
  }
}

}  // namespace

std::vector<fl::Entry> select_entries(const CheckArgs& args, std::ostream& progress) {
  if (!args.flow_file.empty()) {
    if (!args.flows.empty()) throw std::invalid_argument("--flow-file runs the file's flow alone: drop --flows");
    const auto f = std::make_shared<const fl::file::FlowFile>(fl::file::read_flow_file(args.flow_file));
    fl::Entry e = fl::file_entry(f, args.switches);
    fl::variant_of(e);  // refuses an unknown switch up front
    return {e};
  }
  std::vector<fl::Entry> all = fl::catalogue();
  for (const std::string& f : args.flows) {
    const std::vector<std::string> known = fl::flow_names();
    if (std::find(known.begin(), known.end(), f) == known.end()) {
      std::string names;
      for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
      throw std::invalid_argument("--flows: unknown flow '" + f + "'; the checker knows " + names);
    }
  }
  const auto wanted = [&](const std::string& flow) {
    return args.flows.empty() || std::find(args.flows.begin(), args.flows.end(), flow) != args.flows.end();
  };
  const bool threads_asked = args.sizes.enclave_threads.value_or(0) != 0;
  for (const std::string& f : args.flows)
    if (threads_asked && !fl::takes_enclave_threads(f))
      throw std::invalid_argument("--threads: " + f + " runs without enclave threads (their TCS keeps the SECS in)");
  std::vector<std::string> left_out;
  const auto runs = [&](const std::string& flow) {
    if (!wanted(flow)) return false;
    if (!threads_asked || fl::takes_enclave_threads(flow)) return true;
    if (std::find(left_out.begin(), left_out.end(), flow) == left_out.end()) left_out.push_back(flow);
    return false;
  };
  std::vector<fl::Entry> out;
  if (!args.switches.empty()) {
    for (const std::string& f : fl::flow_names())
      if (runs(f)) out.push_back({f, args.switches, fl::takes_enclave_threads(f) ? 1u : 0u});
    for (const fl::Entry& e : out) fl::variant_of(e);  // refuses an unknown switch up front
  } else {
    for (const fl::Entry& e : all)
      if (runs(e.flow)) out.push_back(e);
  }
  for (const std::string& f : left_out)
    progress << "sgxref check: --threads leaves out " << f << ", which runs without enclave threads\n";
  return out;
}

int run_checker(const CheckArgs& args, std::ostream& out, std::ostream& progress) {
  std::vector<fl::Entry> entries;
  try {
    entries = select_entries(args, progress);
  } catch (const std::invalid_argument& e) {
    progress << "sgxref check: " << e.what() << "\n";
    return 2;
  }
  std::vector<Expected> expected;
  try {
    if (!args.expect.empty()) expected = read_expected(args.expect);
  } catch (const std::invalid_argument& e) {
    progress << "sgxref check: " << e.what() << "\n";
    return 2;
  }
  // Opened before the run, so a bad path is said at once, not after minutes of work.
  std::ofstream json;
  if (!args.json.empty()) {
    json.open(args.json);
    if (!json) {
      progress << "sgxref check: --json: cannot write " << args.json << "\n";
      return 2;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const auto line = [&](size_t i) {
    std::ostringstream head;
    head << "[" << i + 1 << "/" << entries.size() << "] " << entries[i].flow << ", "
         << fl::describe(fl::variant_of(entries[i])) << ": ";
    return head.str();
  };
  const auto elapsed = [&] {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1)
      << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s";
    return s.str();
  };
  fl::Progress report;
  report.depth = [&](size_t i, size_t depth, size_t bound) {
    progress << "\r" << line(i) << "depth " << depth << " of " << bound << " (" << elapsed()
             << ")          " << std::flush;
  };
  report.done = [&](size_t i, const fl::Row& r) {
    progress << "\r" << line(i) << fl::verdict_text(r) << " (" << std::fixed << std::setprecision(1)
             << r.result.seconds << " s)                    \n";
  };
  const std::vector<fl::Row> rows = fl::run_entries(entries, args.sizes, args.jobs, report);
  std::vector<OnDriver> driver;
  for (size_t i = 0; i < rows.size(); ++i) {
    progress << "\r" << line(i) << "on the driver (" << elapsed() << ")          " << std::flush;
    driver.push_back(on_driver(rows[i]));
  }
  progress << "\r" << std::string(60, ' ') << "\r" << std::flush;
  print_table(out, rows, driver);
  if (json) json << fl::check_json(rows).dump(2) << "\n";
  int status = 0;
  bool unknown = false;
  out << "\nOn the driver: each counterexample replayed step for step (a bug's on the driver "
         "with that bug's patch); " << kSafeSamples << " random schedules of each SAFE entry.\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    // A counterexample the driver does not show, or a safe schedule it breaks on, is a
    // model, flow or checker bug.
    if (!driver[i].ok) status = 1;
    if (!driver[i].line.empty()) out << "  " << driver[i].line << "\n";
  }
  for (const fl::Row& r : rows) {
    const bool linux_choices = r.variant == "linux";
    if (r.result.verdict == fl::Verdict3::kUnknown) {
      unknown = true;
      out << "\n" << r.entry.flow << ", " << r.variant << ": UNKNOWN: some run could still move at depth "
          << r.result.depth << " when the proof's " << args.sizes.prove_seconds
          << " s ran out; every property holds to that depth\n";
    }
    if (r.result.verdict == fl::Verdict3::kVacuous) {
      out << "\n" << r.entry.flow << ", " << r.variant
          << ": VACUOUS: a thread cannot end within depth " << r.bound
          << ", so SAFE would mean nothing; raise --depth\n";
      status = 1;
    }
    if (!r.result.cex) continue;
    // A flow file's counterexample answers the user's question: no, as written.
    if (linux_choices || r.entry.file) status = 1;
    out << "\n" << r.entry.flow << ", " << r.variant << ": " << r.result.cex->property
        << " broken at depth " << r.result.depth << "\n";
    fl::print_timeline(out, r.system, r.layout, *r.result.cex);
  }
  const auto proven = [](const fl::Row& r) { return r.result.verdict == fl::Verdict3::kProven; };
  if (std::any_of(rows.begin(), rows.end(), proven))
    out << "\nPROVEN: every run has ended by that depth, so every world the flows can reach was checked.\n";
  out << "\nnot covered yet: k-induction and Spacer.\n";
  if (args.expect.empty()) return status == 0 && unknown ? 3 : status;
  bool shown = true;
  for (const OnDriver& d : driver) shown = shown && d.ok;
  const std::vector<std::string> diff = differences(rows, expected);
  out << "\nAgainst " << args.expect << ": " << (diff.empty() ? "every verdict as expected" : "differences")
      << "\n";
  for (const std::string& d : diff) out << "  " << d << "\n";
  return diff.empty() && shown ? 0 : 1;
}

}  // namespace sgxref::cli
