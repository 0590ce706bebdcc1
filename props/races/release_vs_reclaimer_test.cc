// Teardown against the reclaimer (Linux sgx_encl_release and sgx_reclaim_pages): ksgxd
// takes a reference on each enclave whose pages it isolates (kref_get_unless_zero), so
// an enclave whose file and mapping go while ksgxd holds its pages lives on until
// ksgxd puts its last reference, and is then released in ksgxd's context. Either way
// every EPC page it held (the pages ksgxd wrote out, the rest, the SECS and the VA
// pages) must be free exactly once, none left on the LRU and no WARN fired.
//
// Every schedule of a task closing and unmapping the enclave and one ksgxd pass, with
// at most one preemption, is explored.
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "driver/driver_fixture.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "races/schedule_window.h"
#include "sched/controlled.h"
#include "sched/exhaustive.h"
#include "sched/strategy.h"
#include "sched/thread.h"

namespace sgxref::testlib {
namespace {

constexpr int kKsgxd = 2;  // its thread id: spawned after main and the closer

class ReleaseRace {
 public:
  ReleaseRace() {
    spec_.reg_pages = 3;
    fd_ = f_.build_enclave(spec_);
  }

  sched::Outcome run(sched::Controlled& s) {
    return s.run([this] {
      sched::Thread closer("closer", [this] {
        kernel::Task task(f_.process(), "closer");
        kernel::TaskScope scope(task);
        kernel::CpuHold cpu;
        EXPECT_EQ(f_.process().close(fd_), 0);
        EXPECT_EQ(f_.process().munmap(spec_.base, DriverFixture::size_of(spec_)), 0);
      });
      sched::Thread ksgxd("ksgxd", [this] {
        kernel::Task task(f_.kernel(), "ksgxd");
        kernel::TaskScope scope(task);
        kernel::CpuHold cpu;
        f_.sgx().reclaim_pages();
      });
      closer.join();
      ksgxd.join();
    });
  }

  // Empty if the teardown freed everything exactly once; else what went wrong.
  std::string verdict() {
    std::ostringstream why;
    if (f_.sgx().warnings() != 0) why << f_.sgx().warnings() << " WARN(s); ";
    if (f_.sgx().nr_free_pages() != f_.sgx().total_pages())
      why << f_.sgx().total_pages() - f_.sgx().nr_free_pages() << " EPC pages not freed; ";
    if (f_.sgx().lru_pages() != 0) why << f_.sgx().lru_pages() << " pages left on the LRU; ";
    return why.str();
  }

 private:
  DriverFixture f_;
  EnclaveSpec spec_;
  int fd_ = -1;
};

TEST(Races, ReleaseWhileTheReclaimerHoldsThePages) {
  int released_by_ksgxd = 0;
  std::string failure;
  const sched::Exploration e = sched::exhaustive(1, 2000, [&](sched::Controlled& s) {
    ReleaseRace race;
    const sched::Outcome o = race.run(s);
    if (!o.completed()) return false;
    if (races::passed(o.schedule, kKsgxd, "sgx_encl_release.cond_resched") != races::kNever)
      ++released_by_ksgxd;
    failure = race.verdict();
    return failure.empty();
  });
  std::cout << "  " << e.schedules << " schedules, " << released_by_ksgxd
            << " with the enclave released by ksgxd's last reference\n";
  ASSERT_FALSE(e.failure.has_value()) << "schedule " << e.schedules << ": " << failure << "\n"
                                      << e.failure->report();
  EXPECT_FALSE(e.capped);
  // Observed: 514 schedules, 372 of them releasing the enclave in ksgxd. A reclaimer that
  // let go of the pages it isolated once the enclave had another user (planted) fails at
  // schedule 95 with 6 WARNs and 5 EPC pages never freed.
  EXPECT_GE(released_by_ksgxd, 200);
}

// Runs the lowest runnable thread, and ends the run (as a replay that cannot follow its
// plan does) the first time `thread` stands at `point`: every thread then leaves by
// unwinding from where it stands.
class AbortAt : public sched::Strategy {
 public:
  AbortAt(int thread, std::string point) : thread_(thread), point_(std::move(point)) {}
  sched::Pick pick(const sched::Decision& d) override {
    for (const sched::Candidate& c : d.runnable) {
      if (c.thread == thread_ && point_ == c.point) return {c.thread, "aborted at " + point_};
    }
    return {d.runnable.front().thread, ""};
  }

 private:
  int thread_;
  std::string point_;
};

// Found by counterexample_json_fuzz (LeakSanitizer): a replay that aborts ksgxd while
// sgx_reclaimer_age holds an address space (mmget_not_zero, waiting for mmap_lock) must
// still put that user back as it unwinds. A bare mmget/mmput pair left it counted, so
// the process's exit never tore its mappings down, and the address space, held by its
// mappings' enclave, was never freed. (The pages the aborted batch had taken off the LRU
// stay as the abort left them, which no kernel thread can do: what is checked is the
// address space.)
TEST(Races, AReclaimerAbortedWhileItHoldsAnAddressSpaceLetsItGo) {
  DriverFixture f;
  EnclaveSpec spec;
  spec.reg_pages = 3;
  f.build_enclave(spec);
  const std::weak_ptr<kernel::Mm> mm = f.process().mm().shared_from_this();
  sched::Controlled c(std::make_unique<AbortAt>(1, "mmap_lock"));
  const sched::Outcome o = c.run([&f] {
    sched::Thread ksgxd("ksgxd", [&f] {
      kernel::Task task(f.kernel(), "ksgxd");
      kernel::TaskScope scope(task);
      kernel::CpuHold cpu;
      f.sgx().reclaim_pages();
    });
    ksgxd.join();
  });
  ASSERT_EQ(o.why, "aborted at mmap_lock");
  f.process().exit();
  EXPECT_TRUE(mm.expired()) << "the address space outlived the process's exit";
}

}  // namespace
}  // namespace sgxref::testlib
