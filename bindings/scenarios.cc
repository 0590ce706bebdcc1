#include "bindings/scenarios.h"

#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings/arguments.h"
#include "bindings/machine.h"
#include "scenarios/scenario.h"
#include "scenarios/sgx1_selftests.h"
#include "scenarios/sgx2_selftests.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace sgxref::bindings {

namespace {

const scenarios::Scenario* find(const std::string& name) {
  if (const scenarios::Scenario* s = scenarios::find_sgx1_selftest(name)) return s;
  return scenarios::find_sgx2_selftest(name);
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto* list : {&scenarios::sgx1_selftests(), &scenarios::sgx2_selftests()}) {
    for (const scenarios::Scenario& s : *list) out.push_back(s.name);
  }
  return out;
}

py::dict to_dict(const scenarios::EnclaveCall& c) {
  return py::dict("step"_a = c.step, "leaf"_a = c.leaf, "tcs"_a = c.tcs, "ret"_a = c.ret,
                  "function"_a = c.function, "exception_vector"_a = c.exception_vector,
                  "exception_error_code"_a = c.exception_error_code,
                  "exception_addr"_a = c.exception_addr, "value"_a = c.value,
                  "eaccept_ret"_a = c.eaccept_ret, "evictions"_a = c.evictions,
                  "reloads"_a = c.reloads);
}

py::dict to_dict(const scenarios::IoctlCall& c) {
  return py::dict("step"_a = c.step, "what"_a = c.what, "ret"_a = c.ret, "errno"_a = c.err,
                  "result"_a = c.result, "count"_a = c.count);
}

py::dict to_dict(const scenarios::ScenarioResult& r) {
  py::list calls;
  for (const scenarios::EnclaveCall& c : r.calls) calls.append(to_dict(c));
  py::list ioctls;
  for (const scenarios::IoctlCall& c : r.ioctls) ioctls.append(to_dict(c));
  return py::dict("name"_a = r.name, "passed"_a = r.passed(), "failures"_a = r.failures,
                  "epc_pages"_a = r.epc_pages, "seed"_a = r.seed, "base"_a = r.base,
                  "size"_a = r.size, "heap_pages"_a = r.heap_pages, "calls"_a = calls,
                  "ioctls"_a = ioctls, "evictions"_a = r.evictions, "reloads"_a = r.reloads,
                  "warnings"_a = r.warning_counts,
                  "free_pages_after_close"_a = r.free_pages_after_close,
                  "total_pages"_a = r.total_pages, "transcript"_a = r.transcript);
}

}  // namespace

void bind_scenarios(py::module_& m) {
  m.def("scenarios", &names, "The kernel selftest mirrors' names, SGX1 first, in main.c's order.");
  m.def(
      "run_scenario",
      [](const std::string& name, const py::int_& epc_pages, const py::object& seed,
         const py::object& options) {
        const scenarios::Scenario* s = find(name);
        if (s == nullptr) {
          std::string known;
          for (const std::string& n : names()) known += (known.empty() ? "" : ", ") + n;
          throw py::value_error("unknown scenario '" + name + "' (one of " + known + ")");
        }
        scenarios::ScenarioOptions o;
        if (u64(epc_pages, "epc_pages") != 0) {
          o.epc_pages = uint32_t(in_range(epc_pages, "epc_pages", 8, 1u << 16));
        }
        o.seed = optional_u64(seed, "seed").value_or(o.seed);
        o.alternatives = alternatives_from(options);
        scenarios::ScenarioResult r;
        {
          py::gil_scoped_release nogil;
          r = s->run(o);
        }
        return to_dict(r);
      },
      py::arg("name"), py::kw_only(), py::arg("epc_pages") = 0, py::arg("seed") = py::none(),
      py::arg("options") = py::none(),
      "Runs one selftest mirror on a fresh machine (epc_pages 0: the scenario's own) and "
      "returns what it saw: enclave calls, ioctls with errno/result/count, paging counts, "
      "WARNs, its own failed assertions and the transcript.");
}

}  // namespace sgxref::bindings
