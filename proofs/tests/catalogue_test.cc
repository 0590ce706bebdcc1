// The catalogue as `./sgxref check` runs it (run_entries on two threads, the entries'
// own sizes) against the
// committed table proofs/expected-verdicts.txt: the same entries, the same verdicts, the
// same broken property. Every SAFE entry had each thread able to end within its depth
// (run_check answers VACUOUS otherwise), and every counterexample was rerun concretely.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "flows/catalogue_run.h"

namespace sgxref::proofs::flows {
namespace {

struct Expected {
  std::string flow, variant, verdict, property;
};

std::vector<Expected> expected_table() {
  std::ifstream in("proofs/expected-verdicts.txt");
  if (!in) throw std::runtime_error("cannot read proofs/expected-verdicts.txt");
  std::vector<Expected> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Expected e;
    std::getline(fields, e.flow, '\t');
    std::getline(fields, e.variant, '\t');
    std::getline(fields, e.verdict, '\t');
    std::getline(fields, e.property, '\t');
    rows.push_back(e);
  }
  return rows;
}

TEST(CheckerCatalogue, EveryEntryGivesTheCommittedVerdict) {
  const std::vector<Expected> want = expected_table();
  const std::vector<Entry> entries = catalogue();
  ASSERT_EQ(entries.size(), want.size()) << "the catalogue and the table list different entries";
  const std::vector<Row> rows = run_entries(entries, RunSizes{}, 2, Progress{});
  for (size_t i = 0; i < entries.size(); ++i) {
    const Row& r = rows[i];
    const std::string verdict = r.result.verdict == Verdict3::kSafe     ? "SAFE"
                                : r.result.verdict == Verdict3::kUnsafe ? "UNSAFE"
                                                                        : "VACUOUS";
    const std::string property = r.result.cex ? r.result.cex->property : "-";
    std::cout << r.entry.flow << "\t" << r.variant << "\t" << verdict_text(r) << "\t" << property
              << "\t" << r.result.seconds << " s\n";
    EXPECT_EQ(r.entry.flow, want[i].flow);
    EXPECT_EQ(r.variant, want[i].variant);
    EXPECT_EQ(verdict, want[i].verdict) << r.entry.flow << ", " << r.variant;
    EXPECT_EQ(property, want[i].property) << r.entry.flow << ", " << r.variant;
  }
}

}  // namespace
}  // namespace sgxref::proofs::flows
