// PCMD truncation against the reclaimer writing PCMD (Linux af117837ceb9, with
// 0e4e729a830c before it). The PCMDs of 32 consecutive enclave pages share one backing
// page. A fault's ELDU of page A zeroes A's PCMD and truncates that page once it reads
// all-zero; ksgxd meanwhile has taken the backing of a sibling B (under the enclave
// mutex, marking B being reclaimed) and will EWB B's PCMD into it. Had the fault
// truncated the page then, B's PCMD would land in a page the file no longer holds and
// B's contents would be lost. sgx_encl_eldu keeps the page while
// reclaimer_writing_to_pcmd sees a sibling being reclaimed.
//
// Every schedule of a faulting task and one ksgxd pass with at most one preemption is
// explored; after each, every evicted page must still have its contents and PCMD in
// the backing file, A and B must read back byte for byte, and no WARN may have fired.
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "driver/driver_fixture.h"
#include "driver/encl.h"
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
// Enclave page indices: the TCS is 0, REG page i is 1 + i. A and B open the second
// group of 32 PCMDs, so no other page's PCMD shares their backing page.
constexpr uint64_t kA = 32;
constexpr uint64_t kB = 33;
constexpr int kFaulter = 1;  // thread ids, in spawn order after main
constexpr int kKsgxd = 2;

class PcmdRace {
 public:
  PcmdRace() : f_(DriverFixtureOptions{}) {
    spec_.reg_pages = kB;
    fd_ = f_.build_enclave(spec_);
    // Everything out, then B back alone: A's PCMD is the only one in its PCMD page, B
    // is the only page on the LRU, resident with no PTE (so not young).
    {
      kernel::CpuHold cpu;
      while (f_.sgx().lru_pages() > 0) f_.sgx().reclaim_pages();
    }
    std::vector<uint8_t> b(kPage);
    EXPECT_EQ(f_.peek(address(kB), b.data(), int(kPage)), int(kPage));
  }

  hw::LAddr address(uint64_t index) const { return spec_.base + index * kPage; }

  sched::Outcome run(sched::Controlled& s) {
    return s.run([this] {
      sched::Thread faulter("faulter", [this] {
        kernel::Task task(f_.process(), "faulter");
        kernel::TaskScope scope(task);
        kernel::CpuHold cpu;
        uint64_t v = 0;
        EXPECT_EQ(kernel::user_load(address(kA), &v, sizeof(v)), kernel::FaultResult::kHandled);
        EXPECT_EQ(v, ~uint64_t(0));  // the abort page, read from outside the enclave
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

  // Empty if the run kept every page; else what went wrong. Checks the backing before
  // reading anything back: a page whose contents the driver lost cannot be read.
  std::string verdict() {
    std::ostringstream why;
    if (f_.sgx().warnings() != 0) why << f_.sgx().warnings() << " WARN(s); ";
    driver::Encl& encl = f_.encl_of(fd_);
    {
      sched::MutexLock l(encl.lock);
      for (const auto& [pfn, page] : encl.page_array) {
        if (page->epc_page != nullptr) continue;
        const uint64_t index = encl.page_index(*page);
        const uint64_t pcmd_at = encl.size + kPage + index * sizeof(uapi::Pcmd);
        if (page->va_page == nullptr) why << "page " << index << " evicted without a VA slot; ";
        if (encl.backing->find_page(index) == 0) {
          why << "page " << index << " evicted without its contents page; ";
        }
        if (encl.backing->find_page(pcmd_at / kPage) == 0) {
          why << "page " << index << " evicted without its PCMD page; ";
        }
      }
    }
    if (!why.str().empty()) return why.str();
    for (uint64_t index : {kA, kB}) {
      std::vector<uint8_t> got(kPage);
      if (f_.peek(address(index), got.data(), int(kPage)) != int(kPage) ||
          got != DriverFixture::page_bytes(spec_, index - 1)) {
        why << "page " << index << " reads back wrong; ";
      }
    }
    return why.str();
  }

 private:
  DriverFixture f_;
  EnclaveSpec spec_;
  int fd_ = -1;
};

// The racy interleaving: the fault's ELDU of A ran after ksgxd released the enclave
// mutex it took B's backing and marked B being reclaimed under (its second pass through
// "encl->lock": the first takes it) and before ksgxd's EWB of B.
bool reached_window(const sched::Schedule& s) {
  return races::in_order(races::passed(s, kKsgxd, "encl->lock", 1),
                         races::passed(s, kFaulter, "eldu.begin"),
                         races::passed(s, kFaulter, "eldu.end"),
                         races::passed(s, kKsgxd, "ewb.begin"));
}

TEST(Races, PcmdTruncateVsReclaimerWrite_af117837ceb9) {
  int in_window = 0;
  std::string failure;
  const sched::Exploration e = sched::exhaustive(1, 2000, [&](sched::Controlled& s) {
    PcmdRace race;
    const sched::Outcome o = race.run(s);
    if (!o.completed()) return false;
    if (reached_window(o.schedule)) ++in_window;
    failure = race.verdict();
    return failure.empty();
  });
  std::cout << "  " << e.schedules << " schedules, " << in_window
            << " with the fault's ELDU between ksgxd taking B's backing and its EWB\n";
  ASSERT_FALSE(e.failure.has_value()) << "schedule " << e.schedules << ": " << failure << "\n"
                                      << e.failure->report();
  EXPECT_FALSE(e.capped);
  // Observed: 320 schedules, 9 of them in the window (cap 2000; 349 and 18 before a
  // spinning thread stopped being an option of the exhaustive strategy). The mutants kill
  // it at schedule 287 (pcmd-truncate-ignores-reclaimer) and 201
  // (reclaimer-backing-outside-lock).
  EXPECT_GE(in_window, 5);
}

}  // namespace
}  // namespace sgxref::testlib
