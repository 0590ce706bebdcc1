#include "bindings/inspect.h"

#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "driver/encl.h"
#include "driver/epc_page.h"
#include "driver/main.h"
#include "hw/inspect.h"
#include "hw/leaf.h"
#include "sched/mutex.h"
#include "uapi/page_type.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace sgxref::bindings {

namespace {

std::string hex_digest(const hw::Digest& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (const uint8_t b : d) {
    s += kDigits[b >> 4];
    s += kDigits[b & 0xF];
  }
  return s;
}

py::dict to_dict(uint32_t slot, const hw::EpcmEntry& e) {
  return py::dict("slot"_a = slot, "valid"_a = e.valid, "type"_a = uapi::to_string(e.type),
                  "r"_a = e.r, "w"_a = e.w, "x"_a = e.x, "pending"_a = e.pending,
                  "modified"_a = e.modified, "pr"_a = e.pr, "blocked"_a = e.blocked,
                  "secs"_a = e.secs, "address"_a = e.enclave_address,
                  "stamp"_a = e.stamped ? std::optional<uint64_t>(e.stamp) : std::nullopt);
}

py::dict to_dict(uint32_t id, const hw::CpuView& c) {
  // A CPU outside any enclave has no SECS, TCS or entry epoch.
  const auto inside = [&](uint64_t v) {
    return c.enclave_mode ? std::optional<uint64_t>(v) : std::nullopt;
  };
  py::list tlb;
  for (const hw::TlbEntryView& t : c.tlb) {
    tlb.append(
        py::dict("page"_a = t.page, "slot"_a = t.slot, "r"_a = t.r, "w"_a = t.w, "x"_a = t.x));
  }
  return py::dict("cpu"_a = id, "enclave_mode"_a = c.enclave_mode, "secs"_a = inside(c.secs),
                  "tcs"_a = inside(c.tcs), "tcs_slot"_a = inside(c.tcs_slot),
                  "entry_epoch"_a = inside(c.entry_epoch), "tlb"_a = tlb);
}

py::dict to_dict(const hw::Counters& c) {
  py::dict leaves;
  for (int i = 0; i < hw::kLeafCount; ++i) {
    leaves[hw::to_string(hw::Leaf(i))] =
        py::dict("calls"_a = c.calls[size_t(i)], "faults"_a = c.faults[size_t(i)],
                 "codes"_a = c.codes[size_t(i)]);
  }
  return py::dict("leaves"_a = leaves, "epcm_valid"_a = c.epc_valid, "aex"_a = c.aex,
                  "interrupts"_a = c.interrupts, "evictions"_a = c.evictions,
                  "reloads"_a = c.reloads, "mac_failures"_a = c.mac_failures);
}

// The driver's record of one page, read under the enclave's mutex.
struct PageRecord {
  uint64_t address;
  uapi::PageType type;
  std::optional<uint32_t> slot;  // its EPC slot while resident
  uint64_t max_prot;
  bool being_reclaimed;
  // While evicted: the VA page's EPC slot, the byte offset of the version's slot, and
  // the page's index in the backing file (contents; its PCMD is found from it).
  std::optional<uint32_t> va_slot;
  uint32_t va_offset;
  uint64_t backing_index;
};

std::vector<PageRecord> page_records(Enclave& e) {
  const hw::Machine& hw = e.machine().host().machine();
  driver::Encl& encl = e.encl();
  sched::MutexLock l(encl.lock);
  std::vector<PageRecord> out;
  for (const auto& [pfn, p] : encl.page_array) {
    PageRecord r{
        p->desc,      p->type,      std::nullopt,       p->vm_max_prot_bits, p->being_reclaimed,
        std::nullopt, p->va_offset, encl.page_index(*p)};
    if (p->epc_page != nullptr) r.slot = hw.epc_slot(p->epc_page->addr);
    if (p->epc_page == nullptr && p->va_page != nullptr && p->va_page->epc_page != nullptr) {
      r.va_slot = hw.epc_slot(p->va_page->epc_page->addr);
    }
    out.push_back(r);
  }
  return out;
}

// The SECS as the processor holds it, if it is in the EPC.
struct SecsState {
  std::optional<uint32_t> slot;
  hw::SecsView secs;
  hw::TrackingView tracking;
  uint32_t children = 0;  // the driver's secs_child_cnt
};

SecsState secs_state(Enclave& e) {
  const hw::Machine& hw = e.machine().host().machine();
  driver::Encl& encl = e.encl();
  SecsState s;
  {
    sched::MutexLock l(encl.lock);
    s.children = encl.secs_child_cnt;
    if (encl.secs.epc_page != nullptr) s.slot = hw.epc_slot(encl.secs.epc_page->addr);
  }
  if (s.slot) {
    const hw::Inspector in(hw);
    s.secs = in.secs(*s.slot);
    s.tracking = in.tracking(*s.slot);
  }
  return s;
}

}  // namespace

void bind_inspect(MachineClass& machine, EnclaveClass& enclave) {
  machine.def(
      "epcm",
      [](Machine& self) {
        const std::vector<hw::EpcmEntry> epcm = self.run([&] {
          const hw::Inspector in(self.host().machine());
          std::vector<hw::EpcmEntry> out;
          for (uint32_t s = 0; s < self.host().machine().epc_pages(); ++s)
            out.push_back(in.epcm(s));
          return out;
        });
        py::list out;
        for (uint32_t s = 0; s < epcm.size(); ++s) out.append(to_dict(s, epcm[s]));
        return out;
      },
      "The EPCM, one dict per EPC slot: valid, type, r/w/x, pending, modified, pr, "
      "blocked, the owner's SECS slot, the enclave address, the tracking stamp.");
  machine.def(
      "cpus",
      [](Machine& self) {
        const std::vector<hw::CpuView> cpus = self.run([&] {
          const hw::Inspector in(self.host().machine());
          std::vector<hw::CpuView> out;
          for (uint32_t c = 0; c < self.host().machine().cpu_count(); ++c) {
            out.push_back(in.cpu_view(c));
          }
          return out;
        });
        py::list out;
        for (uint32_t c = 0; c < cpus.size(); ++c) out.append(to_dict(c, cpus[c]));
        return out;
      },
      "Each logical CPU: enclave mode, and inside an enclave its SECS slot, TCS and entry "
      "epoch; its TLB's entries for EPC pages.");
  machine.def(
      "counters",
      [](Machine& self) {
        return to_dict(self.run([&] { return hw::Inspector(self.host().machine()).counters(); }));
      },
      "Every leaf's calls, faults and SGX codes by name; AEXs, interrupts, evictions, "
      "reloads, MAC failures and valid EPCM entries.");
  machine.def(
      "warnings",
      [](Machine& self) { return self.run([&] { return self.host().sgx().warning_counts(); }); },
      "The driver's WARNs by message, with how often each fired.");

  enclave.def(
      "secs",
      [](Enclave& e) {
        const SecsState s = e.machine().run([&] { return secs_state(e); });
        if (!s.slot) return py::dict("resident"_a = false, "children"_a = s.children);
        const py::dict tracking("epoch"_a = s.tracking.epoch,
                                "cpus_inside"_a = s.tracking.cpus_inside,
                                "incomplete"_a = s.tracking.incomplete);
        return py::dict(
            "resident"_a = true, "children"_a = s.children, "slot"_a = *s.slot,
            "base"_a = s.secs.base, "size"_a = s.secs.size, "attributes"_a = s.secs.attributes,
            "xfrm"_a = s.secs.xfrm, "miscselect"_a = s.secs.miscselect,
            "ssa_frame_size"_a = s.secs.ssa_frame_size, "eid"_a = s.secs.eid,
            "initialized"_a = s.secs.initialized, "mrenclave"_a = hex_digest(s.secs.mrenclave),
            "mrsigner"_a = hex_digest(s.secs.mrsigner), "tracking"_a = tracking);
      },
      "The SECS: whether it is in the EPC and the driver's count of resident children; "
      "when resident, its slot, fields, MRENCLAVE/MRSIGNER (hex) and tracking state "
      "(epoch, CPUs inside, whether an ETRACK is incomplete).");
  enclave.def(
      "pages",
      [](Enclave& e) {
        const std::vector<PageRecord> records = e.machine().run([&] { return page_records(e); });
        py::list out;
        for (const PageRecord& r : records) {
          out.append(py::dict("address"_a = r.address, "offset"_a = r.address - e.base(),
                              "type"_a = uapi::to_string(r.type), "resident"_a = r.slot.has_value(),
                              "slot"_a = r.slot, "max_prot"_a = r.max_prot,
                              "being_reclaimed"_a = r.being_reclaimed));
        }
        return out;
      },
      "The driver's pages of the enclave by address: type, whether resident and in which "
      "EPC slot, the VM_READ|VM_WRITE|VM_EXEC a mapping may have.");
  enclave.def(
      "backing",
      [](Enclave& e) {
        const std::vector<PageRecord> records = e.machine().run([&] { return page_records(e); });
        py::list out;
        for (const PageRecord& r : records) {
          if (r.slot) continue;
          out.append(py::dict("address"_a = r.address, "backing_index"_a = r.backing_index,
                              "va_slot"_a = r.va_slot, "va_offset"_a = r.va_offset));
        }
        return out;
      },
      "The evicted pages' backing-store entries: the page's index in the backing file, "
      "and the VA page (EPC slot) and byte offset holding its version.");
}

}  // namespace sgxref::bindings
