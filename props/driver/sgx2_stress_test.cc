// SGX2 under contention: one workload run with free-running threads (the real ksgxd
// kthread, the OS scheduling) and under the random and PCT strategies at fixed seeds.
// The selftests' enclave is loaded in a process attached to accounting group A and
// forked into a process in group B; both limits are well below the enclave, so each
// group reclaims its own pages. Participants, each on its own pages of the heap or of
// the unbacked part of ELRANGE:
//   enclave thread A (TCS #1): RESTRICT_PERMISSIONS to R, EACCEPT, EMODPE back to RW and
//     a write; then stores into unbacked pages (EAUG on fault, EACCEPT, store);
//   enclave thread B (the fork, TCS #2): MODIFY_TYPES to TRIM, EACCEPT, REMOVE_PAGES,
//     then EACCEPT of the now unbacked page (EAUG through the fault) and a store;
//   an ioctl thread (no enclave entry): RESTRICT_PERMISSIONS to RW over its range;
//   a vEPC user: the guest kernel building an enclave in a vEPC and tearing it down
//     (not entering it: its vCPU shares the mm whose CPUs every ETRACK's IPI kicks);
//   under a strategy, a reclaimer stepping ksgxd and the global reclaim.
// Afterwards every page is compared with the test's shadow word by word from inside
// the enclave, every ioctl answered 0 or -EAGAIN (retried from its count), no WARN,
// each group's usage equals the EPC pages charged to it, and once everything is
// released every usage is 0 and every EPC page is free again (D1, D2, D5).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "driver/driver_fixture.h"
#include "driver/encl.h"
#include "driver/epc_cgroup.h"
#include "driver/fixture_test_encl.h"
#include "driver/guest_kernel.h"
#include "hw/inspect.h"
#include "kernel/errno.h"
#include "kernel/run_queue.h"
#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "sched/controlled.h"
#include "sched/scheduler.h"
#include "sched/strategy.h"
#include "sched/thread.h"
#include "uapi/enclave_run.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/sgx_ioctl.h"
#include "user/test_encl.h"
#include "user/test_encl_ops.h"
#include "user/vsgx.h"

namespace sgxref::testlib {
namespace {

namespace sf = uapi::secinfo_flag;
namespace te = user::test_encl;
using driver::EpcCgroup;
constexpr uint64_t kPage = hw::kPageSize;
constexpr uint64_t kWords = kPage / 8;
constexpr uint64_t kHeapPages = 24;
constexpr uint64_t kRounds = 2;
// Heap pages (from FixtureTestEncl::kHeap) of each participant.
constexpr uint64_t kRestrictFirst = 0, kRestrictPages = 4;
constexpr uint64_t kTrimFirst = 8, kTrimPages = 8;
constexpr uint64_t kIoctlFirst = 16, kIoctlPages = 8;
constexpr uint64_t kAugPages = 4;  // from the first unbacked page
constexpr hw::LAddr kGuestBase = 0x10'0000'0000;
constexpr uint64_t kPendingReg = sf::kR | sf::kW | sf::type(uapi::PageType::kReg) | sf::kPending;

struct Observed {
  sched::Outcome outcome;  // empty for a free run
  uint64_t evictions = 0;
  uint64_t reloads = 0;
  uint64_t eaugs = 0;
  uint64_t emodprs = 0;
  uint64_t group_events = 0;  // charges refused at a group's limit (each a reclaim)
  uint64_t eagain = 0;
  uint64_t ebusy = 0;         // ioctls refused while another held the enclave
  uint64_t vepc_retries = 0;  // vEPC faults taken again at A's limit
  uint64_t sigbus_retries = 0;  // free run: v16's transient -ENOMEM taken again
};

uint64_t word(int t, uint64_t page, uint64_t k) { return (uint64_t(t) << 56) | (page << 16) | k; }

class Sgx2Stress {
 public:
  // Each group's misc.max. A charge at a limit whose group has nothing on its LRU is
  // -ENOMEM (sgx_cgroup_try_charge), a SIGBUS for a fault: with the kthread's batch of
  // 16 isolated off the LRU at the time, that happens to a limit near the working set.
  // Under a strategy at these seeds the tight limits never meet it; free-running, the
  // limits leave more than a batch on each LRU.
  struct Limits {
    uint64_t a;
    uint64_t b;
  };
  static constexpr Limits kTight{24, 12};
  static constexpr Limits kFree{30, 20};

  Sgx2Stress(bool ksgxd_thread, Limits limits)
      : f_(options(ksgxd_thread)), free_running_(ksgxd_thread) {
    // The kthread puts the EPC on the free lists first.
    for (int i = 0; i < 5000 && !f_.sgx().sanitized(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(f_.sgx().sanitized());
    EpcCgroups& groups = f_.sgx().cgroups();
    a_ = &groups.create(groups.root(), "a");
    b_ = &groups.create(groups.root(), "b");
    groups.attach(f_.process(), *a_);
    e_ = std::make_unique<FixtureTestEncl>(f_, kHeapPages);
    // The limits come after the build (a lower max takes nothing back): the first
    // charges of the run find A over its limit already.
    a_->set_max(limits.a);
    b_->set_max(limits.b);
    // Every heap page starts with a word of its own, written from inside.
    for (uint64_t i = 0; i < kHeapPages; ++i) put_shadow(heap(i), word(9, i, 0), te::kTcs1);
    child_ = f_.process().fork();
    groups.attach(*child_, *b_);
  }

  using EpcCgroups = driver::EpcCgroups;

  static DriverFixtureOptions options(bool ksgxd_thread) {
    DriverFixtureOptions o;
    o.epc_pages = 128;
    o.ksgxd_thread = ksgxd_thread;
    return o;
  }

  static uint64_t heap(uint64_t i) { return FixtureTestEncl::kHeap + i * kPage; }
  uint64_t hole(uint64_t i) const { return e_->holes() + i * kPage; }

  Observed run(std::unique_ptr<sched::Strategy> strategy) {
    const hw::Counters before = hw::Inspector(f_.machine()).counters();
    const uint64_t events = a_->events_local() + b_->events_local();
    Observed r;
    auto workload = [this, reclaimer = strategy != nullptr] {
      sched::Thread a("enclave.a", [this] { finished(&Sgx2Stress::restrict_and_augment); });
      sched::Thread b("enclave.b", [this] { finished(&Sgx2Stress::trim_remove_augment); });
      sched::Thread c("ioctl", [this] { finished(&Sgx2Stress::restrict_only); });
      sched::Thread g("guest", [this] { finished(&Sgx2Stress::guest_body); });
      std::unique_ptr<sched::Thread> k;
      if (reclaimer) k = std::make_unique<sched::Thread>("ksgxd", [this] { reclaimer_body(); });
      a.join();
      b.join();
      c.join();
      g.join();
      if (k) k->join();
    };
    if (strategy) {
      sched::Controlled s(std::move(strategy));
      r.outcome = s.run(workload);
    } else {
      workload();
    }
    const hw::Counters after = hw::Inspector(f_.machine()).counters();
    r.evictions = after.evictions - before.evictions;
    r.reloads = after.reloads - before.reloads;
    r.eaugs = after.calls[int(hw::Leaf::kEaug)] - before.calls[int(hw::Leaf::kEaug)];
    r.emodprs = after.calls[int(hw::Leaf::kEmodpr)] - before.calls[int(hw::Leaf::kEmodpr)];
    r.group_events = a_->events_local() + b_->events_local() - events;
    r.eagain = eagain_.load();
    r.ebusy = ebusy_.load();
    r.sigbus_retries = sigbus_retries_.load();
    r.vepc_retries = vepc_retries_.load();
    return r;
  }

  // Without ksgxd stepping, a fault at a limit would be taken again for ever: the
  // checks run with room.
  void lift_limits() {
    a_->set_max(driver::kNoLimit);
    b_->set_max(driver::kNoLimit);
  }

  // Every page of the shadow read back word by word from inside the enclave.
  void expect_contents(const std::string& what) {
    const hw::LAddr op = f_.user_alloc(kPage);
    std::map<uint64_t, std::vector<uint8_t>> shadow;
    {
      sched::MutexLock l(shadow_mu_);
      shadow = shadow_;
    }
    for (const auto& [offset, bytes] : shadow) {
      uint64_t wrong = 0;
      for (uint64_t w = 0; w < kWords; ++w) {
        user::EnclOpGetFromAddr get{{user::kEnclOpGetFromAddress}, 0, e_->base() + offset + w * 8};
        const uapi::EnclaveRun run = e_->call(get, te::kTcs1, op);
        ASSERT_EQ(run.function, uapi::enclu::kEexit) << what << ": offset 0x" << std::hex << offset;
        uint64_t want = 0;
        std::memcpy(&want, bytes.data() + w * 8, 8);
        wrong += get.value != want ? 1 : 0;
      }
      EXPECT_EQ(wrong, 0u) << what << ": words differing in the page at 0x" << std::hex << offset;
    }
  }

  // Each group's usage is what its pages add up to: the SECS, VA pages and resident
  // children of the enclave charged to it (the vEPC is gone by now).
  void expect_accounting(const std::string& what) {
    driver::Encl& encl = f_.encl_of(e_->fd());
    std::map<const EpcCgroup*, uint64_t> held;
    {
      sched::MutexLock l(encl.lock);
      if (encl.secs.epc_page != nullptr) ++held[encl.secs.epc_page->cg];
      for (const auto& va : encl.va_pages) ++held[va->epc_page->cg];
      for (const auto& [pfn, page] : encl.page_array) {
        if (page->epc_page != nullptr) ++held[page->epc_page->cg];
      }
    }
    EpcCgroup& root = f_.sgx().cgroups().root();
    EXPECT_EQ(a_->current(), held[a_]) << what;
    EXPECT_EQ(b_->current(), held[b_]) << what;
    EXPECT_EQ(held[&root], 0u) << what << ": a page charged to no group";
    EXPECT_EQ(root.current(), a_->current() + b_->current()) << what;
    EXPECT_EQ(root.current(), f_.sgx().total_pages() - f_.sgx().nr_free_pages()) << what;
    EXPECT_LE(a_->current(), a_->max()) << what;
    EXPECT_LE(b_->current(), b_->max()) << what;
  }

  // Both processes let go of the enclave: every group back to 0, every page free.
  void expect_released(const std::string& what) {
    child_->exit();
    ASSERT_EQ(f_.process().munmap(e_->base(), e_->size()), 0);
    ASSERT_EQ(f_.process().close(e_->fd()), 0);
    EXPECT_EQ(a_->current(), 0u) << what;
    EXPECT_EQ(b_->current(), 0u) << what;
    EXPECT_EQ(f_.sgx().cgroups().root().current(), 0u) << what;
    EXPECT_EQ(f_.sgx().nr_free_pages(), f_.sgx().total_pages()) << what;
    EXPECT_EQ(f_.sgx().warnings(), 0u) << what;
  }

  DriverFixture& fixture() { return f_; }

 private:
  // One ENCL_CALL from the current task; the run must end by EEXIT. A fault at a
  // group's limit while reclaim holds that group's whole LRU is v16's transient -ENOMEM,
  // a SIGBUS (docs/epc-accounting.md): a not-present #PF the vDSO reports, which the
  // thread takes again by ERESUME once the batch had time to finish: free-running, 50 µs
  // apart for at most half a second; under a controlled strategy, after a yield (the
  // batch runs on) for at most 10,000 of them.
  template <typename Op>
  void call(hw::LAddr op_at, Op& op, uint64_t tcs) {
    kernel::CpuHold cpu;
    ASSERT_EQ(kernel::copy_to_user(op_at, &op, sizeof(op)), 0u);
    uapi::EnclaveRun run{};
    run.tcs = e_->base() + tcs;
    for (int tries = 0;; ++tries) {
      const unsigned leaf = tries == 0 ? uapi::enclu::kEenter : uapi::enclu::kEresume;
      ASSERT_EQ(user::vdso_sgx_enter_enclave(op_at, 0, 0, leaf, 0, 0, &run), 0);
      if (run.function == uapi::enclu::kEexit) break;
      const bool sigbus = run.exception_vector == 14 &&
                          (run.exception_error_code & (hw::pfec::kP | hw::pfec::kSgx)) == 0;
      ASSERT_TRUE(sigbus && tries < 10000)
          << "vector " << run.exception_vector << " code 0x" << std::hex
          << run.exception_error_code << " addr 0x" << run.exception_addr << std::dec
          << " after " << tries << " tries";
      ++sigbus_retries_;
      // The batch holding the LRU has to finish first.
      if (free_running_)
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      else
        sched::yield("sgx2_stress.sigbus_retry");
    }
    ASSERT_EQ(kernel::copy_from_user(&op, op_at, sizeof(op)), 0u);
  }

  void put(hw::LAddr op_at, uint64_t offset, uint64_t value, uint64_t tcs) {
    user::EnclOpPutToAddr op{{user::kEnclOpPutToAddress}, value, e_->base() + offset};
    call(op_at, op, tcs);
  }
  void eaccept(hw::LAddr op_at, uint64_t offset, uint64_t flags, uint64_t tcs) {
    user::EnclOpEaccept op{{user::kEnclOpEaccept}, e_->base() + offset, flags, ~0ull};
    call(op_at, op, tcs);
    EXPECT_EQ(op.ret, 0u) << "EACCEPT at 0x" << std::hex << offset << " flags 0x" << flags;
  }

  // The setup's store (before any thread runs), recorded in the shadow.
  void put_shadow(uint64_t offset, uint64_t value, uint64_t tcs) {
    const hw::LAddr op = f_.user_alloc(kPage);
    put(op, offset, value, tcs);
    record(offset, value, /*fresh=*/false);
  }
  void record(uint64_t offset, uint64_t value, bool fresh) {
    sched::MutexLock l(shadow_mu_);
    std::vector<uint8_t>& bytes = shadow_[offset];
    if (fresh || bytes.empty()) bytes.assign(kPage, 0);
    std::memcpy(bytes.data(), &value, sizeof(value));
  }

  // An SGX2 ioctl from the current task over [offset, offset+length), retried from its
  // count while it answers -EAGAIN (a page the reclaimer holds, or a reload that could
  // not be charged yet), or -EBUSY (sgx_ioctl: another ioctl on the enclave runs);
  // anything else but 0 is a failure.
  template <typename Arg>
  void sgx2_ioctl(kernel::Process& p, hw::LAddr at, unsigned int cmd, Arg arg) {
    for (int tries = 0; tries < 10000;) {
      Arg io = arg;
      {
        kernel::CpuHold cpu;
        ASSERT_EQ(kernel::copy_to_user(at, &io, sizeof(io)), 0u);
      }
      const long ret = p.ioctl(e_->fd(), cmd, at);
      {
        kernel::CpuHold cpu;
        ASSERT_EQ(kernel::copy_from_user(&io, at, sizeof(io)), 0u);
      }
      if (ret == 0) {
        EXPECT_EQ(io.count, arg.length) << "cmd 0x" << std::hex << cmd;
        return;
      }
      if (ret == -EBUSY) {
        // Another ioctl holds the enclave (SGX_ENCL_IOCTL): nothing was done.
        EXPECT_EQ(io.count, 0u);
        // Not counted as a try: the holder always finishes.
        ++ebusy_;
        sched::yield("sgx2_stress.ebusy");
        std::this_thread::yield();
        continue;
      }
      ASSERT_EQ(ret, -EAGAIN) << "cmd 0x" << std::hex << cmd << " at 0x" << arg.offset;
      ASSERT_LE(io.count, arg.length);
      arg.offset += io.count;
      arg.length -= io.count;
      ++eagain_;
      ++tries;
      sched::yield("sgx2_stress.eagain");
      // Free-running, the kthread needs the CPU to make room.
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    ADD_FAILURE() << "cmd 0x" << std::hex << cmd << " answered -EAGAIN 10000 times";
  }

  static long user_page(kernel::Process& p) {
    return p.mmap(0, 2 * kPage, kernel::PROT_READ | kernel::PROT_WRITE,
                  kernel::MAP_PRIVATE | kernel::MAP_ANONYMOUS, -1, 0);
  }

  void restrict_and_augment() {
    kernel::Task task(f_.process(), "enclave.a");
    kernel::TaskScope scope(task);
    const long op = user_page(f_.process());
    ASSERT_GT(op, 0);
    const hw::LAddr arg = hw::LAddr(op) + kPage;
    for (uint64_t k = 1; k <= kRounds; ++k) {
      for (uint64_t i = kRestrictFirst; i < kRestrictFirst + kRestrictPages; ++i) {
        sgx2_ioctl(f_.process(), arg, uapi::ioctl::kEnclaveRestrictPermissions,
                   uapi::EnclaveRestrictPermissions{heap(i), kPage, sf::kR, 0, 0});
        eaccept(hw::LAddr(op), heap(i), sf::kR | sf::type(uapi::PageType::kReg) | sf::kPr,
                te::kTcs1);
        user::EnclOpEmodpe emodpe{{user::kEnclOpEmodpe}, e_->base() + heap(i), sf::kR | sf::kW};
        call(hw::LAddr(op), emodpe, te::kTcs1);
        put(hw::LAddr(op), heap(i), word(1, i, k), te::kTcs1);
        record(heap(i), word(1, i, k), false);
      }
      const uint64_t aug = (k - 1) * kAugPages / kRounds;
      for (uint64_t i = aug; i < k * kAugPages / kRounds; ++i) {
        // The store faults the page in by EAUG and faults again on the PENDING page;
        // EACCEPT first takes the same way in without the second exception.
        eaccept(hw::LAddr(op), hole(i), kPendingReg, te::kTcs1);
        put(hw::LAddr(op), hole(i), word(1, 100 + i, k), te::kTcs1);
        record(hole(i), word(1, 100 + i, k), true);
      }
    }
  }

  void trim_remove_augment() {
    kernel::Task task(*child_, "enclave.b");
    kernel::TaskScope scope(task);
    const long op = user_page(*child_);
    ASSERT_GT(op, 0);
    const hw::LAddr arg = hw::LAddr(op) + kPage;
    for (uint64_t k = 1; k <= kRounds; ++k) {
      for (uint64_t i = kTrimFirst; i < kTrimFirst + kTrimPages; ++i) {
        if ((i + k) % 2 != 0) continue;  // half the range a round, so some pages stay put
        sgx2_ioctl(*child_, arg, uapi::ioctl::kEnclaveModifyTypes,
                   uapi::EnclaveModifyTypes{heap(i), kPage, uint64_t(uapi::PageType::kTrim), 0, 0});
        eaccept(hw::LAddr(op), heap(i), sf::type(uapi::PageType::kTrim) | sf::kModified, te::kTcs2);
        sgx2_ioctl(*child_, arg, uapi::ioctl::kEnclaveRemovePages,
                   uapi::EnclaveRemovePages{heap(i), kPage, 0});
        eaccept(hw::LAddr(op), heap(i), kPendingReg, te::kTcs2);
        put(hw::LAddr(op), heap(i), word(2, i, k), te::kTcs2);
        record(heap(i), word(2, i, k), true);
      }
    }
  }

  void restrict_only() {
    kernel::Task task(f_.process(), "ioctl");
    kernel::TaskScope scope(task);
    const long arg = user_page(f_.process());
    ASSERT_GT(arg, 0);
    for (uint64_t k = 0; k < kRounds; ++k) {
      sgx2_ioctl(f_.process(), hw::LAddr(arg), uapi::ioctl::kEnclaveRestrictPermissions,
                 uapi::EnclaveRestrictPermissions{heap(kIoctlFirst), kIoctlPages * kPage,
                                                  sf::kR | sf::kW, 0, 0});
    }
  }

  void guest_body() {
    kernel::Task task(f_.process(), "guest");
    kernel::TaskScope scope(task);
    GuestKernel guest(f_);
    EnclaveSpec spec;
    spec.base = kGuestBase;
    spec.reg_pages = 2;
    for (uint64_t k = 0; k < 2; ++k) {
      const int fd = guest.open_vepc();
      ASSERT_GE(fd, 0);
      ASSERT_EQ(guest.map(fd, kGuestBase, 4), long(kGuestBase));
      // At A's limit a vEPC fault is -EBUSY (NOPAGE, the group's reclaim work queued):
      // the guest touches each page again until ksgxd made room.
      for (uint64_t i = 0; i < 4; ++i) {
        int tries = 0;
        while (guest.epc_page(kGuestBase + i * kPage) == 0 && ++tries < 100000) {
          ++vepc_retries_;
          sched::yield("sgx2_stress.vepc_retry");
        }
        ASSERT_LT(tries, 100000) << "vEPC page " << i << " never faulted in";
      }
      ASSERT_TRUE(guest.build(spec, kGuestBase + 3 * kPage).succeeded());
      ASSERT_EQ(f_.process().munmap(kGuestBase, 4 * kPage), 0);
      ASSERT_EQ(f_.process().close(fd), 0);
    }
  }

  // A participant's body, counted as done however it ends (a failed ASSERT returns).
  void finished(void (Sgx2Stress::*body)()) {
    (this->*body)();
    ++done_;
  }

  // ksgxd in steps (its queued group work first) and now and then a global batch, until
  // every other participant is done.
  void reclaimer_body() {
    kernel::Task task(f_.kernel(), "ksgxd");
    kernel::TaskScope scope(task);
    for (uint64_t k = 0; done_.load() < 4; ++k) {
      {
        kernel::CpuHold cpu;
        f_.sgx().ksgxd_step();
        // Now and then a global batch too, as the low watermark would start one.
        if (k % 16 == 0) f_.sgx().reclaim_pages();
      }
      sched::yield("sgx2_stress.ksgxd");
    }
  }

  DriverFixture f_;
  EpcCgroup* a_ = nullptr;
  EpcCgroup* b_ = nullptr;
  std::unique_ptr<FixtureTestEncl> e_;
  std::unique_ptr<kernel::Process> child_;
  sched::Mutex shadow_mu_{"sgx2_stress.shadow"};
  std::map<uint64_t, std::vector<uint8_t>> shadow_ GUARDED_BY(shadow_mu_);
  std::atomic<int> done_{0};
  std::atomic<uint64_t> eagain_{0};
  std::atomic<uint64_t> vepc_retries_{0};
  std::atomic<uint64_t> ebusy_{0};
  const bool free_running_;
  std::atomic<uint64_t> sigbus_retries_{0};
};

void report(const std::string& what, const Observed& r) {
  std::cout << "  " << what << ": " << r.evictions << " EWB, " << r.reloads << " ELDU, "
            << r.eaugs << " EAUG, " << r.emodprs << " EMODPR, " << r.group_events
            << " charges refused at a group limit, " << r.eagain << " -EAGAIN and " << r.ebusy
            << " -EBUSY retried, " << r.vepc_retries << " vEPC faults again, "
            << r.sigbus_retries << " transient SIGBUS resumed, "
            << r.outcome.schedule.size() << " decisions\n";
}

void expect_sound(Sgx2Stress& s, const Observed& r, const std::string& what) {
  s.expect_accounting(what);
  s.lift_limits();
  s.expect_contents(what);
  EXPECT_EQ(s.fixture().sgx().warnings(), 0u) << what;
  s.expect_released(what);
  report(what, r);
}

// The EAUGs every run makes: the augmented holes, and the trimmed pages added back.
constexpr uint64_t kEaugsPerRun = kAugPages + kRounds * kTrimPages / 2;

TEST(DriverSgx2Stress, FreeRunningThreadsWithKsgxdKeepContentsAndAccounting) {
  Sgx2Stress s(/*ksgxd_thread=*/true, Sgx2Stress::kFree);
  const Observed r = s.run(nullptr);
  expect_sound(s, r, "free run");
  EXPECT_EQ(r.eaugs, kEaugsPerRun);
  // No floor on EWB and ELDU here: how much a free run reclaims is the OS scheduler's and
  // the machine's load (6 to 37 EWB observed, the 6 under ASan beside another test). The
  // schedules below, replayable by seed, carry the reach floors.
}

TEST(DriverSgx2Stress, RandomSchedulesKeepContentsAndAccounting) {
  Observed total;
  for (uint64_t seed : {1, 2}) {
    std::cout << "random seed " << seed << "\n";
    Sgx2Stress s(/*ksgxd_thread=*/false, Sgx2Stress::kTight);
    const Observed r = s.run(sched::random(seed));
    ASSERT_TRUE(r.outcome.completed()) << r.outcome.report();
    expect_sound(s, r, "random seed " + std::to_string(seed));
    EXPECT_EQ(r.eaugs, kEaugsPerRun);
    total.evictions += r.evictions;
    total.reloads += r.reloads;
    total.group_events += r.group_events;
    total.eagain += r.eagain;
    total.ebusy += r.ebusy;
  }
  // Observed at these seeds: 397 EWB, 325 ELDU, 66 charges at a limit, 14 -EAGAIN and
  // 96 -EBUSY retried (the schedules moved when on_each_cpu_mask got its point).
  EXPECT_GE(total.evictions, 300u);
  EXPECT_GE(total.reloads, 250u);
  EXPECT_GE(total.group_events, 50u);
  EXPECT_GE(total.eagain, 5u);
  EXPECT_GE(total.ebusy, 50u);
}

TEST(DriverSgx2Stress, PctSchedulesKeepContentsAndAccounting) {
  Observed total;
  for (uint64_t seed : {1, 2}) {
    std::cout << "pct seed " << seed << " depth 3\n";
    Sgx2Stress s(/*ksgxd_thread=*/false, Sgx2Stress::kTight);
    const Observed r = s.run(sched::pct(seed, 3, 20000));
    ASSERT_TRUE(r.outcome.completed()) << r.outcome.report();
    expect_sound(s, r, "pct seed " + std::to_string(seed));
    EXPECT_EQ(r.eaugs, kEaugsPerRun);
    total.evictions += r.evictions;
    total.reloads += r.reloads;
    total.group_events += r.group_events;
  }
  // Observed at these seeds: 86 EWB, 58 ELDU, 3 charges at a limit (a high-priority
  // thread runs long stretches, so the groups meet their limits rarely).
  EXPECT_GE(total.evictions, 70u);
  EXPECT_GE(total.reloads, 45u);
  EXPECT_GE(total.group_events, 2u);
}

}  // namespace
}  // namespace sgxref::testlib
