// The SECS evicted under a fault that EAUGs (Linux c6c2adcba50c). ksgxd writes the SECS
// out together with the enclave's last resident child. A fault on an address with no
// page (SGX2: sgx_encl_eaug_page) may have started before, while a child was still in:
// by the time it holds the enclave mutex the SECS it must name in EAUG's PAGEINFO is
// gone. sgx_encl_eaug_page, like sgx_encl_load_page, reloads the SECS first
// (sgx_encl_load_secs); before the fix it used encl->secs.epc_page as it found it.
//
// A task of the process touches a hole of ELRANGE while one ksgxd pass evicts the one
// resident child and then the SECS. Every schedule with at most one preemption is
// explored; after each, the access was handled, the hole holds a PENDING page named by
// the driver, and no WARN fired.
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "driver/driver_fixture.h"
#include "driver/encl.h"
#include "hw/inspect.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "kernel/user_mode.h"
#include "races/schedule_window.h"
#include "sched/controlled.h"
#include "sched/exhaustive.h"
#include "sched/thread.h"

namespace sgxref::testlib {
namespace {

constexpr uint64_t kPage = hw::kPageSize;
// Enclave page indices: the TCS is 0, REG pages 1 and 2; ELRANGE has 4 pages, so 3 is
// a hole.
constexpr uint64_t kChild = 1;
constexpr uint64_t kHole = 3;
constexpr int kFaulter = 1;  // thread ids, in spawn order after main
constexpr int kKsgxd = 2;

class SecsEaugRace {
 public:
  SecsEaugRace() : f_(DriverFixtureOptions{}) {
    spec_.reg_pages = 2;
    fd_ = f_.build_enclave(spec_);
    // Everything out, then one child back alone: with the SECS, the only pages
    // resident, the child the only one on the LRU (no PTE, so not young).
    {
      kernel::CpuHold cpu;
      while (f_.sgx().lru_pages() > 0) f_.sgx().reclaim_pages();
    }
    std::vector<uint8_t> b(kPage);
    EXPECT_EQ(f_.peek(address(kChild), b.data(), int(kPage)), int(kPage));
  }

  hw::LAddr address(uint64_t index) const { return spec_.base + index * kPage; }

  sched::Outcome run(sched::Controlled& s) {
    return s.run([this] {
      sched::Thread faulter("faulter", [this] {
        kernel::Task task(f_.process(), "faulter");
        kernel::TaskScope scope(task);
        kernel::CpuHold cpu;
        uint64_t v = 0;
        result_ = kernel::user_load(address(kHole), &v, sizeof(v));
      });
      sched::Thread ksgxd("ksgxd", [this] {
        kernel::Task task(f_.kernel(), "ksgxd");
        kernel::TaskScope scope(task);
        kernel::CpuHold cpu;
        f_.sgx().reclaim_pages();
      });
      faulter.join();
      ksgxd.join();
    });
  }

  // Empty if the fault added a PENDING page at the hole; else what went wrong.
  std::string verdict() {
    std::ostringstream why;
    if (f_.sgx().warnings() != 0) why << f_.sgx().warnings() << " WARN(s); ";
    if (result_ != kernel::FaultResult::kHandled) {
      why << "the access to the hole was not handled (" << int(result_) << "); ";
    }
    driver::Encl& encl = f_.encl_of(fd_);
    std::optional<hw::PAddr> epc;
    {
      sched::MutexLock l(encl.lock);
      const auto it = encl.page_array.find(address(kHole) >> hw::kPageShift);
      if (it == encl.page_array.end()) {
        why << "no page at the hole; ";
      } else if (it->second->epc_page != nullptr) {
        epc = it->second->epc_page->addr;
      }
    }
    if (epc) {
      const std::optional<uint32_t> slot = f_.machine().epc_slot(*epc);
      if (!slot || !hw::Inspector(f_.machine()).epcm(*slot).pending) {
        why << "the hole's page is not PENDING; ";
      }
    }
    return why.str();
  }

 private:
  DriverFixture f_;
  EnclaveSpec spec_;
  int fd_ = -1;
  kernel::FaultResult result_ = kernel::FaultResult::kSigsegv;
};

// The racy interleaving: the fault found no page at the hole (its first pass through
// "encl->lock") before ksgxd began the SECS's EWB (its second EWB, after the child's),
// and took the mutex to EAUG (its second pass) after it.
bool reached_window(const sched::Schedule& s) {
  return races::in_order(races::passed(s, kFaulter, "encl->lock", 0),
                         races::passed(s, kKsgxd, "ewb.begin", 1),
                         races::passed(s, kFaulter, "encl->lock", 1));
}

TEST(Races, SecsReclaimVsEaugFault_c6c2adcba50c) {
  int in_window = 0;
  std::string failure;
  const sched::Exploration e = sched::exhaustive(1, 2000, [&](sched::Controlled& s) {
    SecsEaugRace race;
    const sched::Outcome o = race.run(s);
    if (!o.completed()) return false;
    if (reached_window(o.schedule)) ++in_window;
    failure = race.verdict();
    return failure.empty();
  });
  std::cout << "  " << e.schedules << " schedules, " << in_window
            << " with the fault's look-up before the SECS's EWB and its EAUG after\n";
  ASSERT_FALSE(e.failure.has_value()) << "schedule " << e.schedules << ": " << failure << "\n"
                                      << e.failure->report();
  EXPECT_FALSE(e.capped);
  // Observed: 304 schedules, 30 of them in the window (cap 2000). The mutant
  // eaug-skips-load-secs kills it at schedule 205.
  EXPECT_GE(in_window, 15);
}

}  // namespace
}  // namespace sgxref::testlib
