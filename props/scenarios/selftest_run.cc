#include "scenarios/selftest_run.h"

#include <algorithm>
#include <string>
#include <vector>

#include "scenarios/scenario_machine.h"
#include "uapi/enclave_run.h"

namespace sgxref::scenarios {

ScenarioResult run_selftest(const char* name, const ScenarioOptions& o, uint32_t min_epc,
                            Heap heap, const Body& body) {
  ScenarioResult r;
  r.name = name;
  r.seed = o.seed;
  Recorder rec(r);
  const uint32_t asked = o.epc_pages != 0 ? o.epc_pages : std::max(kDefaultEpcPages, min_epc);
  r.epc_pages = std::max(asked, min_epc);
  std::string head = "scenario " + r.name + ": EPC " + std::to_string(r.epc_pages) + " pages";
  if (r.epc_pages != asked) {
    head += " (asked for " + std::to_string(asked) + "; this scenario needs at least " +
            std::to_string(min_epc) + ")";
  }
  for (const std::string& alt : driver::off_linux(o.alternatives)) head += ", " + alt;
  rec.line(head + ", seed " + hex(o.seed) + ", ksgxd in manual mode");
  {
    ScenarioMachine sm(r.epc_pages, o.seed, o.alternatives, rec);
    SelftestEnclave encl(sm, rec, r);
    const uint64_t heap_pages = heap == Heap::kWholeEpc ? sm.sgx().total_pages() : kDefaultHeapPages;
    if (encl.setup(heap_pages)) body(encl, rec, r);
    encl.teardown();
  }
  rec.line(r.passed() ? "PASSED" : "FAILED: " + std::to_string(r.failures.size()) +
                                       " assertion(s) did not hold");
  return r;
}

void expect_clean_eexit(Recorder& rec, const EnclaveCall& c) {
  rec.expect_eq("ret", uint64_t(c.ret), 0);
  rec.expect_eq("run.function (EEXIT)", c.function, uapi::enclu::kEexit);
  rec.expect_eq("run.exception_vector", c.exception_vector, 0);
  rec.expect_eq("run.exception_error_code", c.exception_error_code, 0, true);
  rec.expect_eq("run.exception_addr", c.exception_addr, 0, true);
}

}  // namespace sgxref::scenarios
