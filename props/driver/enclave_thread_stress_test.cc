// The reclaimer against enclave threads in two processes (the selftests' enclave, loaded
// through the driver and forked) and a fault-handling thread, under the random and PCT
// strategies at fixed seeds. Each enclave thread writes words into its own page of
// encl_buffer from inside the enclave and reads them back; ksgxd evicts whatever the
// LRU holds, so entries meet EWB, ETRACK and the IPI that forces them out by AEX, and
// resume through faults that reload their pages. Contents, the vDSO's results, the EPC
// accounting and the absence of WARNs are checked after every run (D1, D2, D5).
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "driver/driver_fixture.h"
#include "hw/inspect.h"
#include "kernel/run_queue.h"
#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "kernel/user_mode.h"
#include "sched/controlled.h"
#include "sched/strategy.h"
#include "sched/thread.h"
#include "testlib/test_signing_key.h"
#include "uapi/enclave_run.h"
#include "user/enclave_loader.h"
#include "user/test_encl.h"
#include "user/test_encl_ops.h"
#include "user/vsgx.h"

namespace sgxref::testlib {
namespace {

namespace te = user::test_encl;
constexpr uint64_t kPage = hw::kPageSize;
constexpr int kOps = 8;

struct Observed {
  sched::Outcome outcome;
  uint64_t evictions = 0;   // during the run
  uint64_t reloads = 0;
  uint64_t interrupts = 0;  // IPIs that found a CPU inside the enclave
  uint64_t aex = 0;
};

class EnclaveThreads {
 public:
  EnclaveThreads() : f_(options()) {
    EXPECT_EQ(user::load_enclave(f_.process(), te::image(), test_signing_key(), encl_), 0);
    child_ = f_.process().fork();
  }

  static DriverFixtureOptions options() {
    DriverFixtureOptions o;
    o.epc_pages = 64;
    return o;
  }

  Observed run(std::unique_ptr<sched::Strategy> strategy) {
    const hw::Counters before = hw::Inspector(f_.machine()).counters();
    sched::Controlled s(std::move(strategy));
    Observed r;
    r.outcome = s.run([this] {
      sched::Thread a("enclave.a", [this] { enclave_body(f_.process(), te::kTcs1, 0, 1); });
      sched::Thread b("enclave.b", [this] { enclave_body(*child_, te::kTcs2, kPage, 2); });
      sched::Thread faulter("faulter", [this] { faulter_body(); });
      sched::Thread ksgxd("ksgxd", [this] { reclaimer_body(); });
      a.join();
      b.join();
      faulter.join();
      ksgxd.join();
    });
    const hw::Counters after = hw::Inspector(f_.machine()).counters();
    r.evictions = after.evictions - before.evictions;
    r.reloads = after.reloads - before.reloads;
    r.interrupts = after.interrupts - before.interrupts;
    r.aex = after.aex - before.aex;
    return r;
  }

  DriverFixture& fixture() { return f_; }

  // The word left in encl_buffer at `offset` + 8, read from inside the enclave (the
  // test enclave is not a debug enclave: a debugger may not read it).
  uint64_t word_in_buffer(uint64_t offset) {
    user::EnclOpGetFromAddr get{{user::kEnclOpGetFromAddress}, 0,
                                encl_.base + te::kBuffer + offset + 8};
    call(f_.user_alloc(kPage), get, te::kTcs1);
    return get.value;
  }
  static uint64_t last_word(int t) { return word(t, kOps - 1); }

 private:
  static uint64_t word(int t, int k) { return (uint64_t(t) << 32) | uint64_t(k + 1); }

  // One call of the test enclave through the vDSO; the op lives in the caller's memory.
  template <typename Op>
  void call(hw::LAddr op_at, Op& op, uint64_t tcs) {
    kernel::CpuHold cpu;
    ASSERT_EQ(kernel::copy_to_user(op_at, &op, sizeof(op)), 0u);
    uapi::EnclaveRun run{};
    run.tcs = encl_.base + tcs;
    ASSERT_EQ(user::vdso_sgx_enter_enclave(op_at, 0, 0, uapi::enclu::kEenter, 0, 0, &run), 0);
    EXPECT_EQ(run.function, uapi::enclu::kEexit) << "vector " << run.exception_vector
                                                 << " code " << run.exception_error_code;
    ASSERT_EQ(kernel::copy_from_user(&op, op_at, sizeof(op)), 0u);
  }

  // Writes a word into its page of encl_buffer from inside the enclave, reads it back.
  void enclave_body(kernel::Process& p, uint64_t tcs, uint64_t page_offset, int t) {
    kernel::Task task(p, "enclave");
    kernel::TaskScope scope(task);
    const long op_at = p.mmap(0, kPage, kernel::PROT_READ | kernel::PROT_WRITE,
                             kernel::MAP_PRIVATE | kernel::MAP_ANONYMOUS, -1, 0);
    ASSERT_GT(op_at, 0);
    const hw::LAddr target = encl_.base + te::kBuffer + page_offset + 8;
    for (int k = 0; k < kOps; ++k) {
      user::EnclOpPutToAddr put{{user::kEnclOpPutToAddress}, word(t, k), target};
      call(hw::LAddr(op_at), put, tcs);
      user::EnclOpGetFromAddr get{{user::kEnclOpGetFromAddress}, 0, target};
      call(hw::LAddr(op_at), get, tcs);
      EXPECT_EQ(get.value, word(t, k)) << "thread " << t << " lost its write " << k;
    }
  }

  // Faults the enclave's pages in from outside (they read as the abort page).
  void faulter_body() {
    kernel::Task task(f_.process(), "faulter");
    kernel::TaskScope scope(task);
    for (int k = 0; k < kOps; ++k) {
      kernel::CpuHold cpu;
      uint64_t v = 0;
      const hw::LAddr at = encl_.base + (k % 2 == 0 ? te::kStack1 : te::kBuffer + kPage);
      EXPECT_EQ(kernel::user_load(at, &v, sizeof(v)), kernel::FaultResult::kHandled);
      EXPECT_EQ(v, ~uint64_t(0));
    }
  }

  void reclaimer_body() {
    kernel::Task task(f_.kernel(), "ksgxd");
    kernel::TaskScope scope(task);
    for (int k = 0; k < kOps; ++k) {
      kernel::CpuHold cpu;
      f_.sgx().reclaim_pages();
    }
  }

  DriverFixture f_;
  user::LoadedEnclave encl_;
  std::unique_ptr<kernel::Process> child_;
};

void expect_sound(EnclaveThreads& e, const Observed& r, const std::string& what) {
  ASSERT_TRUE(r.outcome.completed()) << what << ": " << r.outcome.report();
  EXPECT_EQ(e.word_in_buffer(0), EnclaveThreads::last_word(1)) << what;
  EXPECT_EQ(e.word_in_buffer(kPage), EnclaveThreads::last_word(2)) << what;
  DriverFixture& f = e.fixture();
  EXPECT_EQ(f.sgx().warnings(), 0u) << what;
  const hw::Counters c = hw::Inspector(f.machine()).counters();
  EXPECT_EQ(uint64_t(c.epc_valid) + f.sgx().nr_free_pages(), f.sgx().total_pages()) << what;
  std::cout << "  " << what << ": " << r.evictions << " EWB, " << r.reloads << " ELDU, "
            << r.interrupts << " IPIs into the enclave, " << r.aex << " AEX, "
            << r.outcome.schedule.size() << " decisions\n";
}

TEST(DriverEnclaveThreadStress, RandomSchedulesKeepContentsAndAccounting) {
  Observed total;
  for (uint64_t seed : {1, 2, 3, 4}) {
    std::cout << "random seed " << seed << "\n";
    EnclaveThreads e;
    const Observed r = e.run(sched::random(seed));
    expect_sound(e, r, "random seed " + std::to_string(seed));
    total.evictions += r.evictions;
    total.reloads += r.reloads;
    total.interrupts += r.interrupts;
  }
  // Reach over the seeds: pages of running threads went out and came back, and the
  // reclaimer's IPI found threads inside.
  // Observed at these seeds: 50 EWB, 42 ELDU, 58 IPIs.
  EXPECT_GE(total.evictions, 40u);
  EXPECT_GE(total.reloads, 30u);
  EXPECT_GE(total.interrupts, 20u);
}

TEST(DriverEnclaveThreadStress, PctSchedulesKeepContentsAndAccounting) {
  Observed total;
  for (uint64_t seed : {1, 2, 3, 4}) {
    std::cout << "pct seed " << seed << " depth 3\n";
    EnclaveThreads e;
    const Observed r = e.run(sched::pct(seed, 3, 5000));
    expect_sound(e, r, "pct seed " + std::to_string(seed));
    total.evictions += r.evictions;
    total.reloads += r.reloads;
  }
  // Observed at these seeds: 40 EWB, 36 ELDU.
  EXPECT_GE(total.evictions, 32u);
  EXPECT_GE(total.reloads, 30u);
}

}  // namespace
}  // namespace sgxref::testlib
