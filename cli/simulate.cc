#include "cli/simulate.h"

#include <iomanip>

namespace sgxref::cli {

void list_scenarios(std::ostream& out) {
  for (const scenarios::Scenario& s : scenarios::sgx1_selftests()) {
    out << "  " << std::left << std::setw(34) << s.name << s.summary << "\n";
  }
}

bool simulate(const scenarios::Scenario& s, const scenarios::ScenarioOptions& o,
              std::ostream& out) {
  const scenarios::ScenarioResult r = s.run(o);
  for (const std::string& line : r.transcript) out << line << "\n";
  for (const std::string& f : r.failures) out << "  failed: " << f << "\n";
  return r.passed();
}

bool check_scenarios(const scenarios::ScenarioOptions& o, std::ostream& out) {
  const std::vector<scenarios::Scenario>& all = scenarios::sgx1_selftests();
  out << "SGX1 kernel selftests on the driver (" << all.size() << " scenarios):\n";
  size_t passed = 0;
  for (const scenarios::Scenario& s : all) {
    const scenarios::ScenarioResult r = s.run(o);
    out << (r.passed() ? "PASS " : "FAIL ") << r.name << " (EPC " << r.epc_pages << " pages, "
        << r.evictions << " evictions, " << r.reloads << " reloads, " << r.warnings
        << " driver WARNs)\n";
    for (const std::string& f : r.failures) out << "    failed: " << f << "\n";
    passed += r.passed() ? 1 : 0;
  }
  out << "scenarios: " << passed << " of " << all.size() << " passed"
      << (passed == all.size() ? "" : "; run 'sgxref simulate NAME' for a failure's transcript")
      << "\n";
  return passed == all.size();
}

}  // namespace sgxref::cli
