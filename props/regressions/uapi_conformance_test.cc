// Sequences the uapi conformance properties once failed on, kept as plain tests: each
// runs on the driver beside model/uapi with the same comparisons.
#include <gtest/gtest.h>

#include <vector>

#include "uapi/enclave_ops.h"
#include "uapi/process.h"
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

}  // namespace
}  // namespace sgxref::props
