#include "cli/simulate.h"

#include <algorithm>
#include <iomanip>
#include <vector>

#include "scenarios/sgx1_selftests.h"
#include "scenarios/sgx2_selftests.h"

namespace sgxref::cli {

namespace {

// Runs `group`, one line each; the number that passed.
size_t check_group(const char* title, const std::vector<scenarios::Scenario>& group,
                   const scenarios::ScenarioOptions& o, std::ostream& out) {
  out << title << " kernel selftests on the driver (" << group.size() << " scenarios):\n";
  size_t passed = 0;
  for (const scenarios::Scenario& s : group) {
    const scenarios::ScenarioResult r = s.run(o);
    out << (r.passed() ? "PASS " : "FAIL ") << r.name << " (EPC " << r.epc_pages << " pages, "
        << r.evictions << " evictions, " << r.reloads << " reloads, " << r.warnings
        << " driver WARNs" << (r.scaled.empty() ? "" : "; scaled: " + r.scaled) << ")\n";
    for (const std::string& f : r.failures) out << "    failed: " << f << "\n";
    passed += r.passed() ? 1 : 0;
  }
  return passed;
}

}  // namespace

void list_scenarios(std::ostream& out) {
  size_t width = 0;
  for (const auto* group : {&scenarios::sgx1_selftests(), &scenarios::sgx2_selftests()}) {
    for (const scenarios::Scenario& s : *group) width = std::max(width, std::string(s.name).size());
  }
  for (const auto* group : {&scenarios::sgx1_selftests(), &scenarios::sgx2_selftests()}) {
    for (const scenarios::Scenario& s : *group) {
      out << "  " << std::left << std::setw(int(width + 2)) << s.name << s.summary << "\n";
    }
  }
}

const scenarios::Scenario* find_scenario(const std::string& name) {
  if (const scenarios::Scenario* s = scenarios::find_sgx1_selftest(name)) return s;
  return scenarios::find_sgx2_selftest(name);
}

bool simulate(const scenarios::Scenario& s, const scenarios::ScenarioOptions& o,
              std::ostream& out) {
  const scenarios::ScenarioResult r = s.run(o);
  for (const std::string& line : r.transcript) out << line << "\n";
  for (const std::string& f : r.failures) out << "  failed: " << f << "\n";
  return r.passed();
}

CheckedScenarios check_scenarios(const scenarios::ScenarioOptions& o, std::ostream& out) {
  CheckedScenarios c;
  c.sgx1_total = scenarios::sgx1_selftests().size();
  c.sgx1_passed = check_group("SGX1", scenarios::sgx1_selftests(), o, out);
  c.sgx2_total = scenarios::sgx2_selftests().size();
  c.sgx2_passed = check_group("SGX2", scenarios::sgx2_selftests(), o, out);
  const size_t passed = c.sgx1_passed + c.sgx2_passed;
  const size_t total = c.sgx1_total + c.sgx2_total;
  out << "scenarios: " << passed << " of " << total << " passed"
      << (passed == total ? "" : "; run 'sgxref simulate NAME' for a failure's transcript")
      << "\n";
  return c;
}

}  // namespace sgxref::cli
