// ETRACK: SDM vol. 3D "ETRACK—Activates EBLOCK Checks", and the tracking rules of
// docs/hw.md "Tracking" that EWB and EACCEPT apply (hw/tracking.h). Also EREMOVE's
// SGX_ENCLAVE_ACT, which depends on the same record of which CPUs are inside.
#include <gtest/gtest.h>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/internals.h"
#include "hw/machine.h"
#include "hw/secs_private.h"
#include "hw/tracking.h"
#include "sched/scheduler.h"
#include "testlib/enclave_fixture.h"
#include "testlib/kernel_memory.h"
#include "testlib/pause_at.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

class Etrack : public testlib::EnclaveFixture {
 protected:
  // ETRACK from CPU 3, which never enters the enclave.
  Result etrack() { return cpu(3).etrack(enclave().secs_addr()); }
  Result refused(PAddr secs) {
    const Snapshot before = Inspector(m()).snapshot();
    const Result r = cpu(3).etrack(secs);
    EXPECT_EQ(Inspector(m()).snapshot(), before);
    return r;
  }
  TrackingView tracking() { return Inspector(m()).tracking(enclave().secs_slot()); }
  uint64_t epoch() { return tracking().epoch; }

  // Stamps the data page as EBLOCK does, and reads its tracking verdict.
  void stamp_data() {
    MachineState& s = Internals::of(m());
    sched::MutexLock l(s.mu());
    stamp(s, slot(TestEnclave::kData));
  }
  bool data_tracked() {
    MachineState& s = Internals::of(m());
    sched::MutexLock l(s.mu());
    return tracking_correct(s, slot(TestEnclave::kData));
  }
  void leave(uint32_t c) { ASSERT_EQ(cpu(c).eexit(kCallSite), Result::ok()); }
};

TEST_F(Etrack, AdvancesTheEpoch) {
  EXPECT_EQ(epoch(), 0u);
  ASSERT_EQ(etrack(), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  EXPECT_EQ(epoch(), 2u);
  // The epoch lives in the SECS's hardware-private area, so EWB seals it with the SECS.
  EXPECT_EQ(load_secs_private(Inspector(m()).page(enclave().secs_slot())).epoch, 2u);
}

TEST_F(Etrack, MisalignedSecsIsGp) { EXPECT_EQ(refused(enclave().secs_addr() + 64), Result::gp()); }

TEST_F(Etrack, NonEpcSecsIsPf) { EXPECT_EQ(refused(user_), Result::pf(user_, 0)); }

TEST_F(Etrack, InvalidPageIsPf) {
  const PAddr free = m().epc_addr(31);
  EXPECT_EQ(refused(free), Result::epcm_pf(free));
}

TEST_F(Etrack, PageOtherThanSecsIsPf) {
  const PAddr reg = m().epc_addr(slot(TestEnclave::kData));
  EXPECT_EQ(refused(reg), Result::epcm_pf(reg));
}

TEST_F(Etrack, ConcurrentEtrackIsGp) {
  const Result first = testlib::overlap(
      "etrack.locked", [&] { return cpu(2).etrack(enclave().secs_addr()); },
      [&] { EXPECT_EQ(refused(enclave().secs_addr()), Result::gp()); });
  EXPECT_EQ(first, Result::ok());
  EXPECT_EQ(epoch(), 1u);
}

TEST_F(Etrack, SecsHeldExclusiveIsGp) {
  // EREMOVE of the SECS holds it exclusively until it answers SGX_CHILD_PRESENT.
  const Result removed = testlib::overlap(
      "eremove.locked", [&] { return cpu(2).eremove(enclave().secs_addr()); },
      [&] { EXPECT_EQ(refused(enclave().secs_addr()), Result::gp()); });
  EXPECT_EQ(removed, Result::error(SgxCode::kChildPresent));
}

TEST_F(Etrack, InEnclaveModeIsUdDeliveredByAex) {
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(cpu().etrack(enclave().secs_addr()), Result::ud());
  EXPECT_FALSE(cpu().in_enclave_mode());
  EXPECT_EQ(epoch(), 0u);
}

TEST_F(Etrack, PreviousCycleIncompleteUntilOldCpusLeave) {
  ASSERT_EQ(eenter(0, TestEnclave::kTcs1), Result::ok());  // entered at epoch 0
  ASSERT_EQ(etrack(), Result::ok());                       // epoch 1; CPU 0 is behind
  EXPECT_TRUE(tracking().incomplete);
  EXPECT_EQ(refused(enclave().secs_addr()), Result::error(SgxCode::kPrevTrkIncmpl));
  // A CPU that enters now is current, but CPU 0 still holds the cycle open.
  ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());
  EXPECT_EQ(Inspector(m()).cpu_view(1).entry_epoch, 1u);
  EXPECT_EQ(refused(enclave().secs_addr()), Result::error(SgxCode::kPrevTrkIncmpl));
  ASSERT_NO_FATAL_FAILURE(leave(0));
  EXPECT_FALSE(tracking().incomplete);
  ASSERT_EQ(etrack(), Result::ok());  // epoch 2; now CPU 1 is behind
  EXPECT_EQ(refused(enclave().secs_addr()), Result::error(SgxCode::kPrevTrkIncmpl));
  ASSERT_NO_FATAL_FAILURE(leave(1));
  EXPECT_EQ(etrack(), Result::ok());
  EXPECT_EQ(epoch(), 3u);
}

TEST_F(Etrack, AnAexEndsTheCpusPartInTheCycle) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  m().ipi(0);
  EXPECT_EQ(etrack(), Result::ok());
}

TEST_F(Etrack, UnstampedPageIsTracked) {
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_TRUE(data_tracked());
}

TEST_F(Etrack, StampedPageNeedsAnEtrack) {
  stamp_data();
  EXPECT_EQ(Inspector(m()).epcm(slot(TestEnclave::kData)).stamp, 0u);
  EXPECT_TRUE(Inspector(m()).epcm(slot(TestEnclave::kData)).stamped);
  EXPECT_FALSE(data_tracked());
  ASSERT_EQ(etrack(), Result::ok());
  EXPECT_TRUE(data_tracked());
}

TEST_F(Etrack, CpusInsideAtTheStampBlockTrackingUntilTheyLeave) {
  ASSERT_EQ(eenter(0, TestEnclave::kTcs1), Result::ok());  // before the stamp
  stamp_data();
  ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());  // same epoch: also before
  ASSERT_EQ(etrack(), Result::ok());
  EXPECT_FALSE(data_tracked());
  ASSERT_NO_FATAL_FAILURE(leave(0));
  EXPECT_FALSE(data_tracked());
  // CPU 1 re-enters after the ETRACK: a fresh epoch no longer holds the page.
  ASSERT_NO_FATAL_FAILURE(leave(1));
  ASSERT_EQ(cpu(1).set_regs(outside_regs()), Result::ok());
  ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());
  EXPECT_TRUE(data_tracked());
}

TEST_F(Etrack, CpuEnteringAfterTheStampButBeforeEtrackDoesNotBlock) {
  stamp_data();
  ASSERT_EQ(etrack(), Result::ok());
  ASSERT_EQ(eenter(0), Result::ok());  // entry epoch 1 > stamp 0
  EXPECT_TRUE(data_tracked());
}

TEST_F(Etrack, OtherEnclavesCpusDoNotCount) {
  ASSERT_NO_FATAL_FAILURE(build_other_enclave());
  ASSERT_TRUE(cpu(2).set_page_table(&other_pt()));
  ASSERT_EQ(cpu(2).eenter(other().la(TestEnclave::kTcs1), kAep), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  EXPECT_EQ(etrack(), Result::ok());
  EXPECT_EQ(Inspector(m()).tracking(other().secs_slot()).cpus_inside, std::vector<uint32_t>{2});
}

// EREMOVE's SGX_ENCLAVE_ACT (SDM vol. 3D "EREMOVE"): a page of an enclave a logical
// processor is executing in may not be removed, except an accepted TRIM page.
class EremoveActive : public Etrack {
 protected:
  Result eremove(uint64_t offset) { return cpu(3).eremove(m().epc_addr(slot(offset))); }
};

TEST_F(EremoveActive, RegPageOfRunningEnclaveIsEnclaveAct) {
  ASSERT_EQ(eenter(), Result::ok());
  const Snapshot before = Inspector(m()).snapshot();
  EXPECT_EQ(eremove(TestEnclave::kData), Result::error(SgxCode::kEnclaveAct));
  EXPECT_EQ(Inspector(m()).snapshot(), before);
}

TEST_F(EremoveActive, TcsOfRunningEnclaveIsEnclaveAct) {
  ASSERT_EQ(eenter(0, TestEnclave::kTcs1), Result::ok());
  EXPECT_EQ(eremove(TestEnclave::kTcs2), Result::error(SgxCode::kEnclaveAct));
}

TEST_F(EremoveActive, SucceedsOnceTheCpuHasLeft) {
  ASSERT_EQ(eenter(), Result::ok());
  m().ipi(0);
  EXPECT_EQ(eremove(TestEnclave::kData), Result::ok());
  EXPECT_FALSE(Inspector(m()).epcm(slot(TestEnclave::kData)).valid);
}

TEST_F(EremoveActive, AcceptedTrimPageIsFreedWhileRunning) {
  namespace sf = uapi::secinfo_flag;
  // The OS trims data page 2 and tracks it; CPU 1 enters after that and accepts it.
  testlib::KernelMemory mem(m());
  uapi::SecInfo trim{};
  trim.flags = sf::type(PageType::kTrim);
  ASSERT_EQ(cpu(3).emodt(mem.put(trim), m().epc_addr(slot(TestEnclave::kData2))), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  ASSERT_EQ(eenter(1), Result::ok());
  const LAddr secinfo = la(TestEnclave::kData) + 0x40;
  ASSERT_EQ(store64(1, secinfo, sf::type(PageType::kTrim) | sf::kModified), Result::ok());
  ASSERT_EQ(cpu(1).eaccept(secinfo, la(TestEnclave::kData2)), Result::ok());
  ASSERT_FALSE(Inspector(m()).epcm(slot(TestEnclave::kData2)).modified);
  // Still running, yet the accepted TRIM page goes; a REG page would not.
  EXPECT_EQ(eremove(TestEnclave::kData2), Result::ok());
  EXPECT_EQ(eremove(TestEnclave::kData), Result::error(SgxCode::kEnclaveAct));
}

TEST_F(EremoveActive, VaPageNeedsNoCheck) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(cpu(3).epa(uint64_t(PageType::kVa), m().epc_addr(31)), Result::ok());
  EXPECT_EQ(cpu(3).eremove(m().epc_addr(31)), Result::ok());
}

TEST_F(EremoveActive, OtherEnclaveRunningDoesNotCount) {
  ASSERT_NO_FATAL_FAILURE(build_other_enclave());
  ASSERT_TRUE(cpu(2).set_page_table(&other_pt()));
  ASSERT_EQ(cpu(2).eenter(other().la(TestEnclave::kTcs1), kAep), Result::ok());
  EXPECT_EQ(eremove(TestEnclave::kData), Result::ok());
}

}  // namespace
}  // namespace sgxref::hw
