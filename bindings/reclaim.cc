#include "bindings/reclaim.h"

#include <optional>
#include <stdexcept>
#include <string>

#include "bindings/arguments.h"
#include "driver/main.h"
#include "hw/address.h"
#include "hw/inspect.h"
#include "kernel/run_queue.h"
#include "scenarios/scenario_result.h"
#include "sched/mutex.h"

namespace py = pybind11;

namespace sgxref::bindings {

namespace {

// A few rounds over the whole EPC: a batch that writes nothing out leaves the pages it
// scanned aged for the next one, so reclaim that has not got there by then never will.
uint64_t batch_bound(driver::Sgx& sgx) {
  return 4 * (sgx.total_pages() / driver::SGX_NR_TO_SCAN + 1);
}

// Whether the enclave's page at `addr` is in the EPC; nothing if it has no page there.
std::optional<bool> resident(driver::Encl& encl, uint64_t addr) {
  sched::MutexLock l(encl.lock);
  const auto it = encl.page_array.find(addr >> hw::kPageShift);
  if (it == encl.page_array.end()) return std::nullopt;
  return it->second->epc_page != nullptr;
}

}  // namespace

void bind_reclaim(MachineClass& machine, EnclaveClass& enclave) {
  machine.def(
      "reclaim_step",
      [](Machine& self) { return self.run([&] { return self.host().sgx().ksgxd_step(); }); },
      "One iteration of ksgxd's loop: queued group work, then batches while free pages are "
      "below the high watermark. Returns the batches run.");
  machine.def(
      "reclaim_batch",
      [](Machine& self) {
        return self.run([&] {
          kernel::CpuHold cpu;
          const uint64_t before = hw::Inspector(self.host().machine()).counters().evictions;
          self.host().sgx().reclaim_pages();
          return hw::Inspector(self.host().machine()).counters().evictions - before;
        });
      },
      "One global reclaim batch (sgx_reclaim_pages_global, up to 16 pages scanned). "
      "Returns the pages written out (EWB).");
  machine.def(
      "reclaim_until",
      [](Machine& self, const py::object& free_pages) {
        const uint64_t target =
            optional_u64(free_pages, "free_pages").value_or(self.host().sgx().high_watermark());
        return self.run([&] {
          kernel::CpuHold cpu;
          driver::Sgx& sgx = self.host().sgx();
          // A batch that frees nothing leaves the pages aged for the next one, so a few
          // rounds over the whole EPC is as far as reclaim can get.
          const uint64_t bound = batch_bound(sgx);
          uint64_t batches = 0;
          while (batches < bound && sgx.should_reclaim(target)) {
            sgx.reclaim_pages();
            ++batches;
          }
          return batches;
        });
      },
      py::arg("free_pages") = py::none(),
      "Global reclaim batches until free pages reach `free_pages` (the high watermark by "
      "default) or nothing is left on the LRUs. Returns the batches run.");

  enclave.def(
      "evict",
      [](Enclave& e, const py::int_& addr) {
        const uint64_t at = u64(addr, "addr");
        return e.machine().run([&] {
          kernel::CpuHold cpu;
          driver::Encl& encl = e.encl();
          driver::Sgx& sgx = e.machine().host().sgx();
          std::optional<bool> in = resident(encl, at);
          if (!in) throw py::value_error("evict: the enclave has no page at " + scenarios::hex(at));
          uint64_t batches = 0;
          for (const uint64_t bound = batch_bound(sgx); *in && batches < bound; ++batches) {
            sgx.reclaim_pages();
            in = resident(encl, at);
          }
          if (*in) {
            throw std::runtime_error("evict: the page at " + scenarios::hex(at) +
                                     " is still in the EPC after " + std::to_string(batches) +
                                     " reclaim batches");
          }
          return batches;
        });
      },
      py::arg("addr"),
      "Global reclaim batches until the page at addr is written out (EBLOCK, ETRACK, "
      "EWB), as ksgxd would reach it: pages ahead of it on the LRU go too. Returns the "
      "batches run (0 if it was out already).");
}

}  // namespace sgxref::bindings
