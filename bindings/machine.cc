#include "bindings/machine.h"

#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bindings/arguments.h"
#include "driver/epc_cgroup.h"
#include "driver/main.h"
#include "hw/inspect.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace sgxref::bindings {

namespace {

// The EPC sizes the CLI takes at the low end; at the high end what a notebook's
// machine can hold in memory (4 KiB a page, allocated up front).
constexpr uint64_t kMinEpcPages = 8;
constexpr uint64_t kMaxEpcPages = 1u << 16;
constexpr uint64_t kMaxCpus = 64;

scenarios::DriverHostOptions host_options(const MachineOptions& o) {
  scenarios::DriverHostOptions h;
  h.config.epc_pages = o.epc_pages;
  h.config.cpus = o.cpus;
  h.config.sgx2 = o.sgx2;
  h.config.seed = o.seed;
  h.alternatives = o.alternatives;
  return h;
}

void set_or_raise(driver::Alternatives& alt, const std::string& name_eq_value) {
  if (const std::string why = driver::set_alternative(alt, name_eq_value); !why.empty()) {
    throw py::value_error("options: " + why);
  }
}

// One group's counters, read inside Machine::run (lru_pages takes the group's lock).
struct CgroupStats {
  std::string name;
  std::optional<std::string> parent;  // none for the root
  uint64_t max, current, peak, events, events_local, lru_pages;
  bool work_queued;
};

CgroupStats cgroup_stats(const driver::EpcCgroup& cg) {
  return CgroupStats{cg.name(),
                     cg.parent() ? std::optional<std::string>(cg.parent()->name()) : std::nullopt,
                     cg.max(),
                     cg.current(),
                     cg.peak(),
                     cg.events(),
                     cg.events_local(),
                     cg.lru_pages(),
                     cg.work_queued()};
}

py::dict to_dict(const CgroupStats& s) {
  return py::dict(
      "name"_a = s.name, "parent"_a = s.parent,
      "max"_a = s.max == driver::kNoLimit ? std::nullopt : std::optional<uint64_t>(s.max),
      "current"_a = s.current, "peak"_a = s.peak, "events"_a = s.events,
      "events_local"_a = s.events_local, "lru_pages"_a = s.lru_pages,
      "work_queued"_a = s.work_queued);
}

}  // namespace

Machine::Machine(const MachineOptions& o) : o_(o), host_(host_options(o)) {}

int Machine::reclaim_if_low() {
  driver::Sgx& sgx = host_.sgx();
  if (sgx.nr_free_pages() >= sgx.low_watermark()) return 0;
  return sgx.ksgxd_step();
}

driver::Alternatives alternatives_from(const py::object& options) {
  driver::Alternatives alt;
  if (options.is_none()) return alt;
  if (py::isinstance<py::dict>(options)) {
    for (const auto& [name, value] : options.cast<py::dict>()) {
      if (!py::isinstance<py::str>(name) || !py::isinstance<py::str>(value)) {
        throw py::type_error("options: names and values are strings, got " +
                             std::string(py::repr(name)) + ": " + std::string(py::repr(value)));
      }
      set_or_raise(alt, name.cast<std::string>() + "=" + value.cast<std::string>());
    }
    return alt;
  }
  if (py::isinstance<py::str>(options) || !py::isinstance<py::iterable>(options)) {
    throw py::type_error("options: a dict of NAME: VALUE or a list of 'NAME=VALUE' strings, got " +
                         std::string(py::repr(options)));
  }
  for (const py::handle item : options) {
    if (!py::isinstance<py::str>(item)) {
      throw py::type_error("options: each item is a 'NAME=VALUE' string, got " +
                           std::string(py::repr(item)));
    }
    set_or_raise(alt, item.cast<std::string>());
  }
  return alt;
}

MachineClass bind_machine(py::module_& m) {
  MachineClass cls(m, "Machine",
                   "The emulated SGX machine with its kernel, the Linux-style driver and one "
                   "user process. ksgxd runs only when asked (reclaim_* methods, and before "
                   "each enclave entry when free pages are below the low watermark).");
  cls.def(py::init([](const py::int_& epc_pages, const py::int_& cpus, bool sgx2,
                      const py::object& seed, const py::object& options) {
            MachineOptions o;
            o.epc_pages = uint32_t(in_range(epc_pages, "epc_pages", kMinEpcPages, kMaxEpcPages));
            o.cpus = uint32_t(in_range(cpus, "cpus", 1, kMaxCpus));
            o.sgx2 = sgx2;
            o.seed = optional_u64(seed, "seed").value_or(o.seed);
            o.alternatives = alternatives_from(options);
            return std::make_shared<Machine>(o);
          }),
          py::kw_only(), py::arg("epc_pages") = 64, py::arg("cpus") = 4, py::arg("sgx2") = true,
          py::arg("seed") = py::none(), py::arg("options") = py::none());

  cls.def_property_readonly("epc_pages", [](Machine& self) { return self.options().epc_pages; });
  cls.def_property_readonly("sgx2", [](Machine& self) { return self.options().sgx2; });
  cls.def_property_readonly("seed", [](Machine& self) { return self.options().seed; });
  cls.def_property_readonly(
      "options",
      [](Machine& self) {
        std::map<std::string, std::string> out;
        for (const std::string& nv : driver::describe(self.options().alternatives)) {
          const size_t eq = nv.find('=');
          out[nv.substr(0, eq)] = nv.substr(eq + 1);
        }
        return out;
      },
      "Every driver alternative with the value this machine runs (Linux's unless set).");
  m.def("alternative_choices", &driver::alternative_choices,
        "Each driver alternative as 'NAME=LINUX|OTHER...', Linux's value first.");

  cls.def(
      "epc_stats",
      [](Machine& self) {
        struct Stats {
          uint64_t total, free, low, high, lru, wakeups;
          bool sanitized;
          hw::Counters c;
        };
        const Stats s = self.run([&] {
          driver::Sgx& sgx = self.host().sgx();
          return Stats{sgx.total_pages(),   sgx.nr_free_pages(),
                       sgx.low_watermark(), sgx.high_watermark(),
                       sgx.lru_pages(),     sgx.ksgxd_wakeups(),
                       sgx.sanitized(),     hw::Inspector(self.host().machine()).counters()};
        });
        return py::dict("total_pages"_a = s.total, "free_pages"_a = s.free,
                        "low_watermark"_a = s.low, "high_watermark"_a = s.high,
                        "lru_pages"_a = s.lru, "ksgxd_wakeups"_a = s.wakeups,
                        "sanitized"_a = s.sanitized, "epcm_valid"_a = s.c.epc_valid,
                        "evictions"_a = s.c.evictions, "reloads"_a = s.c.reloads);
      },
      "The driver's EPC: total and free pages, watermarks, pages on the LRUs, ksgxd's "
      "wake-ups; the emulator's valid EPCM entries, evictions (EWB) and reloads (ELDU).");

  cls.def(
      "cgroups",
      [](Machine& self) {
        const std::vector<CgroupStats> groups = self.run([&] {
          driver::EpcCgroups& cgs = self.host().sgx().cgroups();
          std::vector<CgroupStats> out;
          for (const driver::EpcCgroup* cg : cgs.subtree(cgs.root())) {
            out.push_back(cgroup_stats(*cg));
          }
          return out;
        });
        py::list out;
        for (const CgroupStats& g : groups) out.append(to_dict(g));
        return out;
      },
      "The EPC accounting groups in pre-order, the root first: misc.max (None for no "
      "limit), misc.current, misc.peak, misc.events, pages on the group's LRU.");
  cls.def(
      "create_cgroup",
      [](Machine& self, const std::string& name, const py::object& max, bool attach) {
        const uint64_t limit = optional_u64(max, "max").value_or(driver::kNoLimit);
        self.run([&] {
          driver::EpcCgroups& cgs = self.host().sgx().cgroups();
          driver::EpcCgroup& cg = cgs.create(cgs.root(), name);
          cg.set_max(limit);
          if (attach) cgs.attach(self.host().process(), cg);
        });
      },
      py::arg("name"), py::kw_only(), py::arg("max") = py::none(), py::arg("attach") = true,
      "A group under the root with misc.max `max` pages; with `attach` the process's later "
      "EPC pages are charged to it.");
  return cls;
}

}  // namespace sgxref::bindings
