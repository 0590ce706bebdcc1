#include "flows/variant.h"

namespace sgxref::proofs::flows {

const std::vector<BugSwitch>& bug_switches() {
  static const std::vector<BugSwitch> kBugs = {
      {"restrict-skips-etrack",
       "RESTRICT_PERMISSIONS returns without the ETRACK flow: no ETRACK, no IPI "
       "(props/mutants/restrict-skips-etrack.patch)"},
      {"etrack-skips-ipi",
       "sgx_enclave_etrack runs ETRACK but not the IPI after it, so a CPU inside at the "
       "ETRACK stays inside (props/mutants/etrack-skips-ipi.patch)"},
      {"batched-etrack-skips-secs-reload",
       "restrict.etrack=batched's ETRACK after the range without loading the SECS back "
       "first, though the mutex was dropped since the last EMODPR"},
      {"ewb-skips-etrack-retry",
       "the reclaimer gives up on a page whose EWB says SGX_NOT_TRACKED instead of running "
       "ETRACK and EWB again (props/mutants/ewb-skips-etrack-retry.patch)"},
      {"eaug-skips-load-secs",
       "the EAUG fault uses the SECS as it finds it instead of loading it back first, so "
       "an EAUG after ksgxd wrote the SECS out has none (the bug c6c2adcba50c; "
       "props/mutants/eaug-skips-load-secs.patch)"},
      {"ewb-skips-ipi-retry",
       "the reclaimer gives up after the ETRACK retry instead of sending IPIs and running "
       "EWB a last time (props/mutants/ewb-skips-ipi-retry.patch)"},
      {"remove-pages-skips-probe",
       "REMOVE_PAGES removes a trimmed page without asking EMODPR whether the enclave has "
       "EACCEPTed the trim (props/mutants/remove-pages-skips-probe.patch)"},
  };
  return kBugs;
}

std::string set_switch(Variant& v, const std::string& text) {
  const std::string prefix = "bug.";
  if (text.rfind(prefix, 0) == 0) {
    const std::string name = text.substr(prefix.size());
    std::string known;
    for (const BugSwitch& b : bug_switches()) {
      if (name == b.name) {
        v.bugs.insert(name);
        return "";
      }
      known += (known.empty() ? "" : ", ") + prefix + b.name;
    }
    return "unknown bug switch '" + text + "'; the flows know " + known;
  }
  return driver::set_alternative(v.alt, text);
}

std::string describe(const Variant& v) {
  std::string s;
  for (const std::string& alt : driver::off_linux(v.alt)) s += (s.empty() ? "" : ", ") + alt;
  for (const std::string& b : v.bugs) s += (s.empty() ? "" : ", ") + ("bug." + b);
  return s.empty() ? "linux" : s;
}

}  // namespace sgxref::proofs::flows
