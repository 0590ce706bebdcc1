// The design alternatives (driver/alternatives.h): each parsed from its NAME=VALUE
// string, Linux's value the default, and a test per alternative showing what it
// changes: restrict.etrack (how many ETRACK flows a range costs, and that each page stays
// acceptable), restrict.lock (whether another thread gets the enclave mutex between
// pages), reclaim.ipi-mask (whether an enclave thread that entered between the mask and
// the ETRACK is interrupted, or EWB fails), eaug.via (EAUG by fault or by the
// AUGMENT_PAGES ioctl).
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "driver/alternatives.h"
#include "driver/driver_fixture.h"
#include "driver/encl.h"
#include "driver/fixture_test_encl.h"
#include "driver/staged_strategy.h"
#include "hw/inspect.h"
#include "kernel/errno.h"
#include "kernel/run_queue.h"
#include "kernel/user_mode.h"
#include "sched/controlled.h"
#include "sched/thread.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/sgx_ioctl.h"
#include "user/test_encl.h"
#include "user/test_encl_ops.h"

namespace sgxref::testlib {
namespace {

namespace sf = uapi::secinfo_flag;
namespace te = user::test_encl;
using driver::Alternatives;
constexpr uint64_t kPage = hw::kPageSize;
constexpr uint64_t kPendingReg = sf::kR | sf::kW | sf::type(uapi::PageType::kReg) | sf::kPending;

uint64_t calls(DriverFixture& f, hw::Leaf l) {
  return hw::Inspector(f.machine()).counters().calls[int(l)];
}

DriverFixtureOptions with(const std::string& alternative) {
  DriverFixtureOptions o;
  EXPECT_EQ(driver::set_alternative(o.alternatives, alternative), "") << alternative;
  return o;
}

TEST(DriverAlternatives, DefaultsAreLinuxsChoices) {
  EXPECT_EQ(driver::describe(Alternatives{}),
            (std::vector<std::string>{"restrict.etrack=per-page", "restrict.lock=per-page",
                                      "reclaim.ipi-mask=after-etrack", "eaug.via=fault"}));
  EXPECT_EQ(driver::alternative_choices(),
            (std::vector<std::string>{"restrict.etrack=per-page|batched",
                                      "restrict.lock=per-page|whole-range",
                                      "reclaim.ipi-mask=after-etrack|before-etrack",
                                      "eaug.via=fault|ioctl"}));
}

TEST(DriverAlternatives, EachNameEqualsValueSetsThatAlternativeAlone) {
  Alternatives a;
  EXPECT_EQ(driver::set_alternative(a, "restrict.etrack=batched"), "");
  EXPECT_EQ(a.restrict_etrack, Alternatives::RestrictEtrack::kBatched);
  EXPECT_EQ(driver::set_alternative(a, "restrict.lock=whole-range"), "");
  EXPECT_EQ(a.restrict_lock, Alternatives::RestrictLock::kWholeRange);
  EXPECT_EQ(driver::set_alternative(a, "reclaim.ipi-mask=before-etrack"), "");
  EXPECT_EQ(a.reclaim_ipi_mask, Alternatives::IpiMask::kBeforeEtrack);
  EXPECT_EQ(driver::set_alternative(a, "eaug.via=ioctl"), "");
  EXPECT_EQ(a.eaug_via, Alternatives::EaugVia::kIoctl);
  EXPECT_EQ(driver::describe(a),
            (std::vector<std::string>{"restrict.etrack=batched", "restrict.lock=whole-range",
                                      "reclaim.ipi-mask=before-etrack", "eaug.via=ioctl"}));
  EXPECT_EQ(driver::off_linux(a), driver::describe(a));
  EXPECT_EQ(driver::set_alternative(a, "restrict.etrack=per-page"), "");
  EXPECT_EQ(a.restrict_etrack, Alternatives::RestrictEtrack::kPerPage);
  EXPECT_EQ(driver::off_linux(a),
            (std::vector<std::string>{"restrict.lock=whole-range",
                                      "reclaim.ipi-mask=before-etrack", "eaug.via=ioctl"}));
  EXPECT_TRUE(driver::off_linux(Alternatives{}).empty());
}

TEST(DriverAlternatives, UnknownNamesValuesAndMalformedStringsAreRefusedWithTheChoices) {
  Alternatives a;
  const std::vector<std::string> before = driver::describe(a);
  const std::string bad_value = driver::set_alternative(a, "restrict.etrack=sometimes");
  EXPECT_NE(bad_value.find("unknown value 'sometimes'"), std::string::npos) << bad_value;
  EXPECT_NE(bad_value.find("per-page, batched"), std::string::npos) << bad_value;
  const std::string bad_name = driver::set_alternative(a, "restrict.speed=fast");
  EXPECT_NE(bad_name.find("unknown alternative 'restrict.speed'"), std::string::npos) << bad_name;
  EXPECT_NE(bad_name.find("eaug.via"), std::string::npos) << bad_name;
  EXPECT_NE(driver::set_alternative(a, "eaug.via").find("expected NAME=VALUE"), std::string::npos);
  EXPECT_NE(driver::set_alternative(a, "eaug.via=").find("unknown value ''"), std::string::npos);
  EXPECT_NE(driver::set_alternative(a, "=ioctl").find("unknown alternative ''"), std::string::npos);
  EXPECT_EQ(driver::describe(a), before);
}

// restrict.etrack: Linux runs the ETRACK flow (ETRACK, IPI) after each page's EMODPR;
// batched runs it once after the range. Either way every page restricted can be
// accepted (DESIGN D4), since no CPU inside at the one ETRACK remains inside.
TEST(DriverAlternatives, RestrictEtrackBatchedRunsOneEtrackFlowPerRange) {
  for (const char* alt : {"restrict.etrack=per-page", "restrict.etrack=batched"}) {
    DriverFixture f(with(alt));
    FixtureTestEncl e(f, 3);
    const uint64_t etracks = calls(f, hw::Leaf::kEtrack);
    const uint64_t emodprs = calls(f, hw::Leaf::kEmodpr);
    uapi::EnclaveRestrictPermissions rp{FixtureTestEncl::kHeap, 3 * kPage, sf::kR, 0, 0};
    ASSERT_EQ(f.ioctl(e.fd(), uapi::ioctl::kEnclaveRestrictPermissions, rp), 0) << alt;
    EXPECT_EQ(rp.count, 3 * kPage) << alt;
    EXPECT_EQ(calls(f, hw::Leaf::kEmodpr) - emodprs, 3u) << alt;
    const bool batched = std::string(alt).find("batched") != std::string::npos;
    EXPECT_EQ(calls(f, hw::Leaf::kEtrack) - etracks, batched ? 1u : 3u) << alt;
    for (uint64_t i = 0; i < 3; ++i) {
      EXPECT_EQ(e.eaccept(FixtureTestEncl::kHeap + i * kPage,
                          sf::kR | sf::type(uapi::PageType::kReg) | sf::kPr),
                0u)
          << alt << " page " << i;
    }
    EXPECT_EQ(f.sgx().warnings(), 0u) << alt;
  }
}

// A range stopped by a bad page: with batched, the pages before it still get their
// ETRACK flow, so what `count` reports as done can be accepted.
TEST(DriverAlternatives, RestrictEtrackBatchedTracksThePagesBeforeAFailure) {
  DriverFixture f(with("restrict.etrack=batched"));
  FixtureTestEncl e(f, 2);  // the heap is followed by holes
  const uint64_t etracks = calls(f, hw::Leaf::kEtrack);
  uapi::EnclaveRestrictPermissions rp{FixtureTestEncl::kHeap, 3 * kPage, sf::kR, 0, 0};
  EXPECT_EQ(f.ioctl(e.fd(), uapi::ioctl::kEnclaveRestrictPermissions, rp), -EFAULT);
  EXPECT_EQ(rp.count, 2 * kPage);
  EXPECT_EQ(calls(f, hw::Leaf::kEtrack) - etracks, 1u);
  EXPECT_EQ(e.eaccept(FixtureTestEncl::kHeap + kPage, sf::kR | sf::type(uapi::PageType::kReg) | sf::kPr),
            0u);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

// restrict.lock: RESTRICT over three pages stops after its first EMODPR; another thread
// then asks for the enclave mutex and notes how many EMODPRs ran before it got it. Linux
// drops the mutex after each page (the thread gets it after one); whole-range holds it
// to the end (after three).
TEST(DriverAlternatives, RestrictLockDecidesWhetherOthersGetTheMutexBetweenPages) {
  for (const char* alt : {"restrict.lock=per-page", "restrict.lock=whole-range"}) {
    DriverFixture f(with(alt));
    FixtureTestEncl e(f, 3);
    driver::Encl& encl = f.encl_of(e.fd());
    const uint64_t emodprs = calls(f, hw::Leaf::kEmodpr);
    const hw::LAddr arg = f.user_alloc(kPage);
    uapi::EnclaveRestrictPermissions rp{FixtureTestEncl::kHeap, 3 * kPage, sf::kR, 0, 0};
    long ret = -1;
    uint64_t seen = 0;
    auto staged = std::make_unique<StagedStrategy>(
        std::vector<Stage>{{1, "emodpr.end", 1}, {2, ""}});
    StagedStrategy* plan = staged.get();
    sched::Controlled s(std::move(staged));
    const sched::Outcome o = s.run([&] {
      sched::Thread ioctl("ioctl", [&] {
        kernel::Task task(f.process(), "ioctl");
        kernel::TaskScope scope(task);
        kernel::CpuHold cpu;
        ASSERT_EQ(kernel::copy_to_user(arg, &rp, sizeof(rp)), 0u);
        ret = f.process().ioctl(e.fd(), uapi::ioctl::kEnclaveRestrictPermissions, arg);
        ASSERT_EQ(kernel::copy_from_user(&rp, arg, sizeof(rp)), 0u);
      });
      sched::Thread other("other", [&] {
        sched::MutexLock l(encl.lock);
        seen = calls(f, hw::Leaf::kEmodpr) - emodprs;
      });
      ioctl.join();
      other.join();
    });
    ASSERT_TRUE(o.completed()) << alt << ": " << o.report();
    EXPECT_TRUE(plan->all_reached()) << alt;
    EXPECT_EQ(ret, 0) << alt;
    EXPECT_EQ(rp.count, 3 * kPage) << alt;
    const bool whole = std::string(alt).find("whole-range") != std::string::npos;
    EXPECT_EQ(seen, whole ? 3u : 1u) << alt;
    EXPECT_EQ(f.sgx().warnings(), 0u) << alt;
  }
}

// reclaim.ipi-mask: ksgxd writes one page out; its EWB answers NOT_TRACKED and it
// stands before the ETRACK. Then an enclave thread of a forked process, whose address
// space has run on no CPU yet, takes a CPU and enters the enclave; ksgxd goes on. Linux
// computes the IPI mask after the ETRACK: it includes the new CPU, the IPI forces the
// thread out, EWB succeeds. Computed before the ETRACK, the mask misses that CPU, the
// thread stays inside, EWB fails again: the WARN and the page's contents lost that made
// Linux order it so.
TEST(DriverAlternatives, ReclaimIpiMaskBeforeEtrackMissesACpuThatEnteredMeanwhile) {
  for (const char* alt : {"reclaim.ipi-mask=after-etrack", "reclaim.ipi-mask=before-etrack"}) {
    DriverFixture f(with(alt));
    FixtureTestEncl e(f, 0);
    std::unique_ptr<kernel::Process> child = f.process().fork();
    user::EnclOpHeader nop{user::kEnclOpNop};
    {
      // The child maps what its enclave call touches, so in the run it stays inside.
      kernel::Task task(*child, "warm-up");
      kernel::TaskScope scope(task);
      ASSERT_EQ(e.call(nop).function, uapi::enclu::kEexit);
    }
    // Only the target on the LRU: the thread's own pages are not reclaimed under it.
    const uint64_t target = te::kBuffer + kPage;
    e.leave_alone_on_lru(target);
    ASSERT_EQ(f.sgx().lru_pages(), 1u);
    const hw::Counters before = hw::Inspector(f.machine()).counters();
    uapi::EnclaveRun run{};
    auto staged = std::make_unique<StagedStrategy>(std::vector<Stage>{
        {1, "etrack.begin", 1}, {2, "enclave.fetch", 1}, {1, ""}});
    StagedStrategy* plan = staged.get();
    sched::Controlled s(std::move(staged));
    const sched::Outcome o = s.run([&] {
      sched::Thread ksgxd("ksgxd", [&] {
        kernel::Task task(f.kernel(), "ksgxd");
        kernel::TaskScope scope(task);
        kernel::CpuHold cpu;
        f.sgx().reclaim_pages();
      });
      sched::Thread thread("enclave", [&] {
        kernel::Task task(*child, "enclave");
        kernel::TaskScope scope(task);
        run = e.call(nop);
      });
      ksgxd.join();
      thread.join();
    });
    ASSERT_TRUE(o.completed()) << alt << ": " << o.report();
    EXPECT_TRUE(plan->all_reached()) << alt;
    EXPECT_EQ(run.function, uapi::enclu::kEexit) << alt;
    const hw::Counters after = hw::Inspector(f.machine()).counters();
    const bool before_etrack = std::string(alt).find("before") != std::string::npos;
    EXPECT_EQ(after.interrupts - before.interrupts, before_etrack ? 0u : 1u) << alt;
    EXPECT_EQ(after.evictions - before.evictions, before_etrack ? 0u : 1u) << alt;
    const std::map<std::string, uint64_t> warns = f.sgx().warning_counts();
    EXPECT_EQ(warns.count("EWB") ? warns.at("EWB") : 0u, before_etrack ? 1u : 0u) << alt;
    EXPECT_EQ(f.sgx().warnings(), before_etrack ? 1u : 0u) << alt;
    if (before_etrack) {
      // The failed EWB lost the page: the next fault has no VA slot to load it from and
      // is SIGBUS with an ELDU WARN (regression: the fault dereferenced the missing VA
      // page, found by the ewb-skips-ipi-retry mutant's race).
      kernel::CpuHold cpu;
      uint64_t v = 0;
      EXPECT_EQ(kernel::user_load(e.base() + target, &v, sizeof(v)),
                kernel::FaultResult::kSigbus);
      EXPECT_EQ(f.sgx().warning_counts().count("ELDU"), 1u);
    }
    child->exit();
  }
}

// eaug.via: Linux EAUGs on fault and has no AUGMENT_PAGES (-ENOTTY).
TEST(DriverAlternatives, EaugViaFaultHasNoAugmentIoctl) {
  DriverFixture f;
  FixtureTestEncl e(f, 0);
  uapi::EnclaveAugmentPages ap{e.holes(), kPage, 0};
  EXPECT_EQ(f.ioctl(e.fd(), uapi::ioctl::kEnclaveAugmentPages, ap), -ENOTTY);
  EXPECT_EQ(ap.count, 0u);
  EXPECT_FALSE(e.record(e.holes()));
}

// eaug.via=ioctl: AUGMENT_PAGES adds PENDING pages the enclave accepts; a fault on an
// unbacked page is SIGBUS again; a page that exists already ends the range (-EEXIST).
TEST(DriverAlternatives, EaugViaIoctlAugmentsByIoctlAndFaultsAreSigbus) {
  DriverFixture f(with("eaug.via=ioctl"));
  FixtureTestEncl e(f, 0);
  const uint64_t first = e.holes();
  const uint64_t eaugs = calls(f, hw::Leaf::kEaug);
  {
    kernel::CpuHold cpu;
    uint64_t v = 0;
    EXPECT_EQ(kernel::user_load(e.base() + first, &v, sizeof(v)), kernel::FaultResult::kSigbus);
  }
  EXPECT_EQ(calls(f, hw::Leaf::kEaug), eaugs);

  uapi::EnclaveAugmentPages ap{first, 2 * kPage, 0};
  ASSERT_EQ(f.ioctl(e.fd(), uapi::ioctl::kEnclaveAugmentPages, ap), 0);
  EXPECT_EQ(ap.count, 2 * kPage);
  EXPECT_EQ(calls(f, hw::Leaf::kEaug), eaugs + 2);
  EXPECT_TRUE(e.epcm(first).pending);
  EXPECT_EQ(e.record(first)->vm_max_prot_bits,
            kernel::VM_READ | kernel::VM_WRITE | kernel::VM_EXEC);
  EXPECT_EQ(e.eaccept(first, kPendingReg), 0u);
  EXPECT_EQ(e.put(first, 9).function, uapi::enclu::kEexit);
  uint64_t v = 0;
  EXPECT_EQ(e.get(first, v).function, uapi::enclu::kEexit);
  EXPECT_EQ(v, 9u);

  uapi::EnclaveAugmentPages again{first + kPage, 2 * kPage, 0};
  EXPECT_EQ(f.ioctl(e.fd(), uapi::ioctl::kEnclaveAugmentPages, again), -EEXIST);
  EXPECT_EQ(again.count, 0u);
  EXPECT_FALSE(e.record(first + 2 * kPage));
  uapi::EnclaveAugmentPages counted{first + 2 * kPage, kPage, kPage};
  EXPECT_EQ(f.ioctl(e.fd(), uapi::ioctl::kEnclaveAugmentPages, counted), -EINVAL);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

}  // namespace
}  // namespace sgxref::testlib
