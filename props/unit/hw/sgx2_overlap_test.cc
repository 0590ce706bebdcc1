// Concurrent leaves on one page, for the SGX2 leaves (SDM vol. 3D 41.1.5 and each leaf's
// concurrency tables): one leaf is parked by testlib::PauseAt with its architectural
// locks held while the test thread runs another on the same page. EACCEPT, EACCEPTCOPY,
// EMODPE, EMODPR and EMODT exclude each other on a page: #GP, except that EMODPR and
// EMODT answer SGX_EPC_PAGE_CONFLICT; an SGX1 leaf holding the page makes EMODPR #GP
// and EMODT answer the code.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/pause_at.h"
#include "testlib/sgx2_fixture.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {
namespace {

using testlib::overlap;
using testlib::TestEnclave;

class Sgx2Overlap : public testlib::Sgx2Fixture {
 protected:
  static constexpr uint64_t kPage = TestEnclave::kData2;
  static constexpr uint32_t kOtherKernel = 2;  // a second kernel-side CPU

  // Every EPCM entry, read without the CPU locks (a parked ENCLU leaf holds its CPU's).
  std::vector<EpcmEntry> epcm_all() {
    std::vector<EpcmEntry> v;
    for (uint32_t i = 0; i < m().epc_pages(); ++i) v.push_back(Inspector(m()).epcm(i));
    return v;
  }
  // The test thread's leaf is refused with `refusal` and changes no EPCM entry.
  void expect_refused(const std::function<Result()>& leaf, const Result& refusal) {
    const std::vector<EpcmEntry> before = epcm_all();
    EXPECT_EQ(leaf(), refusal);
    EXPECT_EQ(epcm_all(), before);
  }

  Result emodpr_on(uint32_t c, uint64_t flags) {
    return testlib::Sgx2Ops(m(), c).emodpr(slot(kPage), flags);
  }
  Result emodt_on(uint32_t c, uint64_t flags) {
    return testlib::Sgx2Ops(m(), c).emodt(slot(kPage), flags);
  }
  Result eremove_on(uint32_t c) { return cpu(c).eremove(m().epc_addr(slot(kPage))); }

  // kPage restricted to R and tracked, CPU 0 and CPU 1 inside (each through its TCS),
  // each with its SECINFO written: CPU 0's asks to accept the restriction, CPU 1's to add
  // X with EMODPE. Both SECINFOs live in the data page, 64 bytes apart.
  void restrict_and_enter_both() {
    ASSERT_EQ(emodpr(kPage, kReg | kR), Result::ok());
    ASSERT_EQ(etrack(), Result::ok());
    ASSERT_EQ(eenter(0, TestEnclave::kTcs1), Result::ok());
    ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());
    ASSERT_EQ(put_secinfo(0, kReg | kR | kPr), Result::ok());
    ASSERT_EQ(put_secinfo(1, kX, kSecinfo + 64), Result::ok());
  }
  Result accept_on_0() { return cpu(0).eaccept(la(kSecinfo), la(kPage)); }
  Result extend_on_1() { return cpu(1).emodpe(la(kSecinfo + 64), la(kPage)); }
};

// ---- EMODPR

TEST_F(Sgx2Overlap, EmodprWhileEmodprHoldsPageIsEpcPageConflict) {
  const Result first = overlap(
      "emodpr.locked", [&] { return emodpr_on(kKernel, kReg | kR); },
      [&] {
        const Snapshot before = Inspector(m()).snapshot();
        EXPECT_EQ(emodpr_on(kOtherKernel, kReg | kR), Result::error(SgxCode::kEpcPageConflict));
        EXPECT_EQ(Inspector(m()).snapshot(), before);
      });
  EXPECT_EQ(first, Result::ok());
  EXPECT_TRUE(Inspector(m()).epcm(slot(kPage)).pr);
}

TEST_F(Sgx2Overlap, EmodprWhileEmodtHoldsPageIsEpcPageConflict) {
  // EMODT holds the page both as an SGX1-style writer and as an SGX2 leaf; EMODPR sees
  // the SGX2 conflict.
  const Result retyped = overlap(
      "emodt.locked", [&] { return emodt_on(kKernel, kTrim); },
      [&] {
        expect_refused([&] { return emodpr_on(kOtherKernel, kReg | kR); },
                       Result::error(SgxCode::kEpcPageConflict));
      });
  EXPECT_EQ(retyped, Result::ok());
}

TEST_F(Sgx2Overlap, EmodprWhileAnSgx1LeafHoldsPageIsGp) {
  const Result removed = overlap(
      "eremove.locked", [&] { return eremove_on(kKernel); },
      [&] {
        const Snapshot before = Inspector(m()).snapshot();
        EXPECT_EQ(emodpr_on(kOtherKernel, kReg | kR), Result::gp());
        EXPECT_EQ(Inspector(m()).snapshot(), before);
      });
  EXPECT_EQ(removed, Result::ok());
}

TEST_F(Sgx2Overlap, EmodprWhileEaugHoldsPageIsGpBeforeValidIsChecked) {
  const Result added = overlap(
      "eaug.locked", [&] { return ops().eaug(enclave().secs_slot(), slot(kAug), la(kAug)); },
      [&] {
        expect_refused(
            [&] { return testlib::Sgx2Ops(m(), kOtherKernel).emodpr(slot(kAug), kReg | kR); },
            Result::gp());
      });
  EXPECT_EQ(added, Result::ok());
}

TEST_F(Sgx2Overlap, EmodprSharesPageWithEblock) {
  // Both hold the target Shared against SGX1 leaves; EBLOCK is not an SGX2 leaf.
  const Result blocked = overlap(
      "eblock.locked", [&] { return cpu(kKernel).eblock(m().epc_addr(slot(kPage))); },
      [&] { EXPECT_EQ(emodpr_on(kOtherKernel, kReg | kR), Result::ok()); });
  EXPECT_EQ(blocked, Result::ok());
  EXPECT_TRUE(Inspector(m()).epcm(slot(kPage)).blocked);
  EXPECT_TRUE(Inspector(m()).epcm(slot(kPage)).pr);
}

// ---- EMODT

TEST_F(Sgx2Overlap, EmodtWhileAnSgx1LeafHoldsPageIsEpcPageConflict) {
  const Result removed = overlap(
      "eremove.locked", [&] { return eremove_on(kKernel); },
      [&] {
        const Snapshot before = Inspector(m()).snapshot();
        EXPECT_EQ(emodt_on(kOtherKernel, kTrim), Result::error(SgxCode::kEpcPageConflict));
        EXPECT_EQ(Inspector(m()).snapshot(), before);
      });
  EXPECT_EQ(removed, Result::ok());
}

TEST_F(Sgx2Overlap, EmodtWhileEblockHoldsPageIsEpcPageConflict) {
  const Result blocked = overlap(
      "eblock.locked", [&] { return cpu(kKernel).eblock(m().epc_addr(slot(kPage))); },
      [&] {
        expect_refused([&] { return emodt_on(kOtherKernel, kTrim); },
                       Result::error(SgxCode::kEpcPageConflict));
      });
  EXPECT_EQ(blocked, Result::ok());
}

TEST_F(Sgx2Overlap, EmodtWhileEmodprHoldsPageIsEpcPageConflict) {
  const Result restricted = overlap(
      "emodpr.locked", [&] { return emodpr_on(kKernel, kReg | kR); },
      [&] {
        expect_refused([&] { return emodt_on(kOtherKernel, kTrim); },
                       Result::error(SgxCode::kEpcPageConflict));
      });
  EXPECT_EQ(restricted, Result::ok());
}

TEST_F(Sgx2Overlap, EmodtWhileEacceptHoldsPageIsEpcPageConflict) {
  ASSERT_NO_FATAL_FAILURE(restrict_and_enter_both());
  const Result accepted = overlap("eaccept.locked", [&] { return accept_on_0(); }, [&] {
    expect_refused([&] { return emodt_on(kOtherKernel, kTrim); },
                   Result::error(SgxCode::kEpcPageConflict));
  });
  EXPECT_EQ(accepted, Result::ok());
}

// ---- EACCEPT, EMODPE, EACCEPTCOPY

TEST_F(Sgx2Overlap, EmodpeWhileEacceptHoldsPageIsGp) {
  ASSERT_NO_FATAL_FAILURE(restrict_and_enter_both());
  const Result accepted = overlap("eaccept.locked", [&] { return accept_on_0(); }, [&] {
    expect_refused([&] { return extend_on_1(); }, Result::gp());
    EXPECT_FALSE(cpu(1).in_enclave_mode()) << "delivered by AEX";
  });
  EXPECT_EQ(accepted, Result::ok());
  EXPECT_FALSE(Inspector(m()).epcm(slot(kPage)).pr);
}

TEST_F(Sgx2Overlap, EacceptWhileEmodpeHoldsPageIsGp) {
  ASSERT_NO_FATAL_FAILURE(restrict_and_enter_both());
  const Result extended = overlap("emodpe.locked", [&] { return extend_on_1(); }, [&] {
    expect_refused([&] { return accept_on_0(); }, Result::gp());
    EXPECT_FALSE(cpu(0).in_enclave_mode()) << "delivered by AEX";
  });
  EXPECT_EQ(extended, Result::ok());
  EXPECT_TRUE(Inspector(m()).epcm(slot(kPage)).x);
  EXPECT_TRUE(Inspector(m()).epcm(slot(kPage)).pr) << "the restriction is still to be accepted";
}

TEST_F(Sgx2Overlap, EacceptWhileEmodprHoldsPageIsGp) {
  ASSERT_NO_FATAL_FAILURE(restrict_and_enter_both());
  const Result restricted = overlap(
      "emodpr.locked", [&] { return emodpr_on(kKernel, kReg | kR); },
      [&] { expect_refused([&] { return accept_on_0(); }, Result::gp()); });
  EXPECT_EQ(restricted, Result::ok());
}

TEST_F(Sgx2Overlap, EremoveWhileEacceptHoldsPageIsGp) {
  ASSERT_NO_FATAL_FAILURE(restrict_and_enter_both());
  const Result accepted = overlap("eaccept.locked", [&] { return accept_on_0(); }, [&] {
    expect_refused([&] { return eremove_on(kOtherKernel); }, Result::gp());
  });
  EXPECT_EQ(accepted, Result::ok());
}

TEST_F(Sgx2Overlap, EacceptcopyWhileEacceptcopyHoldsDestinationIsGp) {
  ASSERT_EQ(eaug(kAug), Result::ok());
  ASSERT_EQ(eenter(0, TestEnclave::kTcs1), Result::ok());
  ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());
  ASSERT_EQ(put_secinfo(0, kReg | kR | kW), Result::ok());
  const LAddr si = la(kSecinfo);
  const Result copied = overlap(
      "eacceptcopy.locked", [&] { return cpu(0).eacceptcopy(si, la(kAug), la(kPage)); }, [&] {
        expect_refused([&] { return cpu(1).eacceptcopy(si, la(kAug), la(TestEnclave::kCode)); },
                       Result::gp());
      });
  EXPECT_EQ(copied, Result::ok());
  EXPECT_FALSE(Inspector(m()).epcm(slot(kAug)).pending);
}

TEST_F(Sgx2Overlap, EacceptWhileEacceptcopyHoldsDestinationIsGp) {
  ASSERT_EQ(eaug(kAug), Result::ok());
  ASSERT_EQ(eenter(0, TestEnclave::kTcs1), Result::ok());
  ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());
  ASSERT_EQ(put_secinfo(0, kReg | kR | kW), Result::ok());
  ASSERT_EQ(put_secinfo(1, kReg | kR | kW | kPending, kSecinfo + 64), Result::ok());
  const Result copied = overlap(
      "eacceptcopy.locked",
      [&] { return cpu(0).eacceptcopy(la(kSecinfo), la(kAug), la(kPage)); }, [&] {
        expect_refused([&] { return cpu(1).eaccept(la(kSecinfo + 64), la(kAug)); },
                       Result::gp());
      });
  EXPECT_EQ(copied, Result::ok());
}

}  // namespace
}  // namespace sgxref::hw
