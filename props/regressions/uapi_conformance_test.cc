// Sequences the uapi conformance properties once failed on, kept as plain tests: each
// runs on the driver beside model/uapi with the same comparisons.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "driver/staged_strategy.h"
#include "kernel/task.h"
#include "sched/controlled.h"
#include "sched/thread.h"
#include "uapi/enclave_ops.h"
#include "uapi/process.h"
#include "uapi/sgx2_ioctls.h"
#include "uapi_conformance/driver_world.h"

namespace sgxref::props {
namespace {

using K = mu::EnclaveOp::Kind;

// The property's first failure: thread 2 stops on a store to a hole (EAUG, then the
// PENDING page's #PF); thread 1 accepts the page; thread 2's EENTER is refused (#GP, its
// SSA frame in use) and ERESUME completes the store it stopped on, not the operation
// the refused EENTER carried (the harness used to overwrite the stopped thread's op).
TEST(UapiRegression, AnEenterRefusedToAStoppedThreadLeavesItsOperationToResume) {
  DriverWorld w;
  mu::Process m{w.initial_model(), {}, w.build_plan()};
  const uint64_t hole = m.enclave.size - mu::kPage;
  const uint64_t flags = mu::secinfo::type(mu::pt::kReg) | mu::secinfo::kPending | mu::prot::kRw;
  const std::vector<std::pair<int, mu::EnclaveOp>> enters = {
      {1, {K::kStore, hole, 0x5a, 0}},
      {0, {K::kEaccept, hole, flags, 0}},
      {1, {K::kEaccept, m.enclave.first, 0x410, 0}},
  };
  for (const auto& [thread, op] : enters) {
    const mu::OpOutcome want = mu::enter(m.enclave, DriverWorld::tcs(thread), op);
    EXPECT_TRUE(mu::allows(want, w.enter(thread, op).outcome)) << int(op.kind);
    EXPECT_EQ(w.differences(m.enclave, m.build), "");
  }
  const mu::OpOutcome want = mu::resume(m.enclave, DriverWorld::tcs(1));
  EXPECT_EQ(want, mu::exited(0));
  EXPECT_TRUE(mu::allows(want, w.resume(1).outcome));
  EXPECT_EQ(m.enclave.pages.at(hole).word(0), 0x5au);
  EXPECT_EQ(w.final_differences(m.enclave, m.build), "");
  EXPECT_EQ(w.teardown_differences(), "");
}

// The sequence fuzzer's first finding (props/fuzz/driver_sequence_fuzz.cc): a SECINFO
// with a reserved FLAGS bit is #GP for EMODPE, EACCEPT and EACCEPTCOPY, which model/uapi
// did not say (its generators never set one). EACCEPT reads its SECINFO before it
// reaches the target, so a hole gets no EAUG; EMODPE and EACCEPTCOPY reach their pages
// first. Each thread stays stopped by its #GP.
TEST(UapiRegression, AReservedSecinfoBitIsGpForEmodpeEacceptAndEacceptcopy) {
  DriverWorld w;
  mu::Process m{w.initial_model(), {}, w.build_plan()};
  const uint64_t hole = m.enclave.size - mu::kPage;
  const uint64_t reserved = uint64_t(1) << 40;
  const uint64_t rw = mu::secinfo::type(mu::pt::kReg) | mu::prot::kRw;
  mu::EnclaveOp copy{K::kEacceptCopy, hole - mu::kPage, rw | reserved, 0};
  copy.source = m.enclave.first;
  const std::vector<std::pair<int, mu::EnclaveOp>> enters = {
      {1, {K::kEmodpe, m.enclave.first, 0xe82de399a3850431, 0}},
      {2, {K::kEaccept, hole, rw | mu::secinfo::kPending | reserved, 0}},
      {3, copy},
  };
  for (const auto& [thread, op] : enters) {
    const mu::OpOutcome want = mu::enter(m.enclave, DriverWorld::tcs(thread), op);
    EXPECT_EQ(want, mu::general_protection()) << int(op.kind);
    EXPECT_TRUE(mu::allows(want, w.enter(thread, op).outcome)) << int(op.kind);
    EXPECT_EQ(w.differences(m.enclave, m.build), "");
  }
  EXPECT_EQ(m.enclave.pages.count(hole), 0u) << "EACCEPT's #GP came before the hole was reached";
  EXPECT_EQ(w.final_differences(m.enclave, m.build), "");
  EXPECT_EQ(w.teardown_differences(), "");
}

// The interleavings property's first finding (docs/uapi-model.md, "Held"): REMOVE_PAGES
// of an accepted TRIM page that the reclaimer has taken off its LRU but not yet marked
// as being reclaimed is -EBUSY with nothing removed (Linux: sgx_unmark_page_reclaimable
// fails, after the TRIM check and the EMODPR probe). Once the batch is over, the same
// call removes the page. The reclaimer stops at its first wait for the enclave mutex,
// after it took its batch off the LRU.
TEST(UapiRegression, RemovePagesOfAPageInTheReclaimersBatchIsEbusyUntilTheBatchEnds) {
  using S = DriverWorld::Sgx2;
  DriverWorld w;
  mu::Process m{w.initial_model(), {}, w.build_plan()};
  const uint64_t page = m.enclave.first;
  const mu::Sgx2Args trim{page, mu::kPage, uint64_t(mu::pt::kTrim), 0, 0, false};
  ASSERT_EQ(w.ioctl(0, S::kModifyTypes, trim), DriverWorld::on_model(m.enclave, S::kModifyTypes, trim));
  const mu::EnclaveOp accept{K::kEaccept, page,
                             mu::secinfo::type(mu::pt::kTrim) | mu::secinfo::kModified, 0};
  ASSERT_TRUE(mu::allows(mu::enter(m.enclave, DriverWorld::tcs(0), accept), w.enter(0, accept).outcome));
  // Everything written out, then the page back with the few its thread needs (an
  // EACCEPT it answers with a mismatch), so that the next batch takes it.
  w.evict_all();
  ASSERT_TRUE(mu::allows(mu::enter(m.enclave, DriverWorld::tcs(0), accept), w.enter(0, accept).outcome));

  const mu::Sgx2Args remove{page, mu::kPage, 0, 0, 0, false};
  mu::IoctlOutcome during;
  auto staged = std::make_unique<testlib::StagedStrategy>(
      std::vector<testlib::Stage>{{1, "encl->lock", 1}, {2, ""}});
  testlib::StagedStrategy* plan = staged.get();
  sched::Controlled s(std::move(staged));
  const sched::Outcome o = s.run([&] {
    sched::Thread reclaimer("reclaimer", [&] {
      kernel::Task task(w.fixture().kernel(), "ksgxd");
      kernel::TaskScope scope(task);
      w.reclaim_batch();
    });
    sched::Thread remover("remove", [&] {
      kernel::Task task(w.fixture().process(), "remove");
      kernel::TaskScope scope(task);
      during = w.ioctl(0, S::kRemove, remove);
    });
    reclaimer.join();
    remover.join();
  });
  ASSERT_TRUE(o.completed()) << o.report();
  EXPECT_TRUE(plan->all_reached());
  EXPECT_EQ(during, (mu::IoctlOutcome{mu::err::kBusy, 0, 0}));
  mu::Enclave held = m.enclave;
  EXPECT_EQ(during, DriverWorld::on_model(held, S::kRemove, remove, {0, false}));
  EXPECT_EQ(held.pages, m.enclave.pages) << "nothing removed";
  EXPECT_EQ(w.differences(m.enclave, m.build), "");

  EXPECT_EQ(w.ioctl(0, S::kRemove, remove), DriverWorld::on_model(m.enclave, S::kRemove, remove));
  EXPECT_EQ(m.enclave.pages.count(page), 0u);
  EXPECT_EQ(w.final_differences(m.enclave, m.build), "");
  EXPECT_EQ(w.teardown_differences(), "");
}

}  // namespace
}  // namespace sgxref::props
