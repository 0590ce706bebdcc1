#include "cli/check.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "cli/check_json.h"
#include "flows/catalogue.h"
#include "flows/timeline.h"

namespace sgxref::cli {

namespace {

namespace fl = proofs::flows;

// The entries to run: the catalogue's, or each selected flow with exactly `switches`.
std::vector<fl::Entry> selected(const CheckArgs& args) {
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
  std::vector<fl::Entry> out;
  if (!args.switches.empty()) {
    for (const std::string& f : fl::flow_names())
      if (wanted(f)) out.push_back({f, args.switches, 1});
    for (const fl::Entry& e : out) fl::variant_of(e);  // refuses an unknown switch up front
    return out;
  }
  for (const fl::Entry& e : all)
    if (wanted(e.flow)) out.push_back(e);
  return out;
}

std::string property_of(const fl::Row& r) { return r.result.cex ? r.result.cex->property : "-"; }

void print_table(std::ostream& out, const std::vector<fl::Row>& rows) {
  size_t variant_w = 7, flow_w = 4;
  for (const fl::Row& r : rows) {
    variant_w = std::max(variant_w, r.variant.size());
    flow_w = std::max(flow_w, r.entry.flow.size());
  }
  out << std::left << std::setw(int(flow_w) + 2) << "flow" << std::setw(int(variant_w) + 2) << "variant"
      << std::setw(9) << "threads" << std::setw(7) << "pages" << std::setw(7) << "depth"
      << std::setw(18) << "verdict" << std::setw(18) << "property" << "time\n";
  for (const fl::Row& r : rows) {
    std::ostringstream secs;
    secs << std::fixed << std::setprecision(1) << r.result.seconds << " s";
    out << std::left << std::setw(int(flow_w) + 2) << r.entry.flow << std::setw(int(variant_w) + 2) << r.variant
        << std::setw(9) << r.threads << std::setw(7) << r.layout.data_pages << std::setw(7)
        << r.result.depth << std::setw(18) << fl::verdict_text(r) << std::setw(18)
        << property_of(r) << secs.str() << "\n";
  }
}

}  // namespace

int run_checker(const CheckArgs& args, std::ostream& out, std::ostream& progress) {
  std::vector<fl::Entry> entries;
  try {
    entries = selected(args);
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
  print_table(out, rows);
  if (json) json << check_json(rows).dump(2) << "\n";
  int status = 0;
  for (const fl::Row& r : rows) {
    const bool linux_choices = r.variant == "linux";
    if (r.result.verdict == fl::Verdict3::kVacuous) {
      out << "\n" << r.entry.flow << ", " << r.variant
          << ": VACUOUS: a thread cannot end within depth " << r.bound
          << ", so SAFE would mean nothing; raise --depth\n";
      status = 1;
    }
    if (!r.result.cex) continue;
    if (linux_choices) status = 1;
    out << "\n" << r.entry.flow << ", " << r.variant << ": " << r.result.cex->property
        << " broken at depth " << r.result.depth << "\n";
    fl::print_timeline(out, r.system, r.layout, *r.result.cex);
  }
  out << "\nnot covered yet: the EAUG fault flow, MODIFY_TYPES and REMOVE_PAGES as flows; "
         "k-induction and Spacer (PROVEN); replay of counterexamples on the driver; flow "
         "files.\n";
  return status;
}

}  // namespace sgxref::cli
