// The EDMM flows of SDM vol. 3D 39.5.7-39.5.9 and the kernel selftests (augment,
// epcm_permissions, tcs_create, remove_added_page_*), end to end on an initialized
// testlib::TestEnclave: the kernel side on CPU 3, enclave threads on CPUs 0 and 1,
// every access through the TLB and the page walk (docs/hw.md "Enclave access and the
// TLB", "Tracking").
#include <gtest/gtest.h>

#include <cstddef>
#include <optional>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/sgx2_fixture.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/tcs.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

class Sgx2Flows : public testlib::Sgx2Fixture {
 protected:
  static constexpr uint64_t kPage2 = TestEnclave::kData2;  // the selftests' "page 2"
  static constexpr uint64_t kMagic = 0x600d'cafe'f00d'beefull;

  // The TLB entry CPU `c` holds for the page at `offset`, if any.
  std::optional<TlbEntryView> tlb_entry(uint32_t c, uint64_t offset) {
    for (const TlbEntryView& e : Inspector(m()).cpu_view(c).tlb) {
      if (e.page == la(offset)) return e;
    }
    return std::nullopt;
  }
};

// ---- add a page: EAUG, then EACCEPT or EACCEPTCOPY

TEST_F(Sgx2Flows, AugmentedPageFaultsUntilAcceptedThenWorks) {
  // Selftest "augment": the store that made the OS EAUG faults with the SGX bit; another
  // thread accepts the page; the first resumes and its store now succeeds.
  ASSERT_EQ(eenter(0, TestEnclave::kTcs1), Result::ok());
  ASSERT_EQ(eaug(kAug), Result::ok());
  EXPECT_EQ(store64(0, la(kAug), kMagic), Result::pf(la(kAug), kEpcmWrite));
  EXPECT_FALSE(cpu(0).in_enclave_mode());

  ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());
  ASSERT_EQ(eaccept(1, kReg | kR | kW | kPending, kAug), Result::ok());
  ASSERT_EQ(cpu(1).eexit(kAep), Result::ok());

  ASSERT_EQ(eresume(0, TestEnclave::kTcs1), Result::ok());
  EXPECT_EQ(store64(0, la(kAug), kMagic), Result::ok());
  EXPECT_EQ(load64(0, la(kAug)), kMagic);
}

TEST_F(Sgx2Flows, AugmentedPageFilledByEacceptCopyRunsAsCode) {
  // EACCEPTCOPY gives the new page the code page's bytes and R-X in one step; once the
  // OS maps it executable, the enclave fetches from it.
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(eaug(kAug), Result::ok());
  ASSERT_EQ(eacceptcopy(0, kReg | kR | kX, kAug, TestEnclave::kCode), Result::ok());
  map(kAug, false, true);
  uint64_t insn = 0;
  EXPECT_EQ(cpu().fetch(la(kAug) + 0x10, &insn, 8), Result::ok());
  EXPECT_EQ(insn, 0x9090'9090'9090'9090ull);
  EXPECT_EQ(store64(0, la(kAug), 1), Result::pf(la(kAug), 0x7)) << "the PTE is read-only";
}

// ---- restrict permissions: EMODPR + ETRACK + IPIs, EACCEPT

TEST_F(Sgx2Flows, RestrictionIsNotTrackedForACpuThatEnteredBeforeTheEtrack) {
  ASSERT_EQ(eenter(), Result::ok());  // before the EMODPR and the ETRACK
  ASSERT_EQ(emodpr(kPage2, kReg | kR), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  EXPECT_EQ(eaccept(0, kReg | kR | kPr, kPage2), Result::error(SgxCode::kNotTracked));
  EXPECT_TRUE(Inspector(m()).epcm(slot(kPage2)).pr);

  // Leaving and entering again gives the CPU the new epoch: now the change is tracked.
  ASSERT_EQ(cpu().eexit(kAep), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(eaccept(0, kReg | kR | kPr, kPage2), Result::ok());
  EXPECT_FALSE(Inspector(m()).epcm(slot(kPage2)).pr);
}

TEST_F(Sgx2Flows, StaleTlbWriteWorksAfterRestrictionUntilTheCpuTakesAnAex) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(store64(0, la(kPage2), 1), Result::ok());  // fills the TLB with W
  ASSERT_EQ(emodpr(kPage2, kReg | kR), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());

  // EMODPR changed the EPCM, not this CPU's TLB: the write still goes through.
  ASSERT_EQ(store64(0, la(kPage2), 2), Result::ok());
  EXPECT_EQ(load64(0, la(kPage2)), 2u);
  const std::optional<TlbEntryView> stale = tlb_entry(0, kPage2);
  ASSERT_TRUE(stale.has_value());
  EXPECT_TRUE(stale->w);

  // The kernel's IPI forces an AEX, which flushes the TLB; after ERESUME the write walks
  // again and meets the EPCM.
  m().ipi(0);
  ASSERT_TRUE(cpu().take_interrupt());
  EXPECT_TRUE(Inspector(m()).cpu_view(0).tlb.empty());
  ASSERT_EQ(eresume(), Result::ok());
  EXPECT_EQ(store64(0, la(kPage2), 3), Result::pf(la(kPage2), kEpcmWrite));

  // Having left, the CPU enters with the new epoch and can accept.
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(eaccept(0, kReg | kR | kPr, kPage2), Result::ok());
  EXPECT_EQ(load64(0, la(kPage2)), 2u);
  EXPECT_EQ(store64(0, la(kPage2), 4), Result::pf(la(kPage2), kEpcmWrite));
}

TEST_F(Sgx2Flows, AcceptedRestrictionLeavesNoWiderTranslationAnywhere) {
  // H3: once EACCEPT succeeds, no CPU's TLB grants the old right.
  ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());
  ASSERT_EQ(store64(1, la(kPage2), 1), Result::ok());
  ASSERT_EQ(emodpr(kPage2, kReg | kR), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  m().ipi(1);  // what Linux's sgx_enclave_etrack does after ETRACK
  ASSERT_TRUE(cpu(1).take_interrupt());
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(eaccept(0, kReg | kR | kPr, kPage2), Result::ok());
  for (uint32_t c = 0; c < m().cpu_count(); ++c) {
    const std::optional<TlbEntryView> e = tlb_entry(c, kPage2);
    EXPECT_TRUE(!e || !e->w) << "CPU " << c;
  }
}

// ---- extend permissions: EMODPE, then the OS widens the PTE

TEST_F(Sgx2Flows, ExtendedPageIsWritableAgain) {
  // Selftest "epcm_permissions": restrict page 2 to R and accept; a write faults 0x8007;
  // another thread EMODPEs it back to RW; the first resumes and its write succeeds.
  ASSERT_EQ(emodpr(kPage2, kReg | kR), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(eaccept(0, kReg | kR | kPr, kPage2), Result::ok());
  EXPECT_EQ(store64(0, la(kPage2), kMagic), Result::pf(la(kPage2), kEpcmWrite));

  ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());
  ASSERT_EQ(emodpe(1, kR | kW, kPage2), Result::ok());
  ASSERT_EQ(cpu(1).eexit(kAep), Result::ok());

  ASSERT_EQ(eresume(), Result::ok());
  EXPECT_EQ(store64(0, la(kPage2), kMagic), Result::ok());
  EXPECT_EQ(load64(0, la(kPage2)), kMagic);
}

TEST_F(Sgx2Flows, ExtendedExecuteNeedsTheOsToMapThePageExecutable) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(emodpe(0, kX, kPage2), Result::ok());
  uint64_t v = 0;
  EXPECT_EQ(cpu().fetch(la(kPage2), &v, 8), Result::pf(la(kPage2), 0x15)) << "PTE NX: P|U|I";
  map(kPage2, true, true);
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(cpu().fetch(la(kPage2), &v, 8), Result::ok());
}

// ---- change to TCS: EMODT(TCS) + ETRACK, EACCEPT, then EENTER on it

TEST_F(Sgx2Flows, NewTcsCanBeEnteredOnceAccepted) {
  // Selftest "tcs_create": two EAUGed pages, one for the TCS and one for its SSA frame.
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(eaug(kAug), Result::ok());
  ASSERT_EQ(eaug(kAug2), Result::ok());
  ASSERT_EQ(eaccept(0, kReg | kR | kW | kPending, kAug), Result::ok());
  ASSERT_EQ(eaccept(0, kReg | kR | kW | kPending, kAug2), Result::ok());
  // INIT_TCS_PAGE: OSSA, NSSA = 1, OENTRY, FS/GS limits all-ones, the rest zero.
  const LAddr tcs = la(kAug);
  ASSERT_EQ(store64(0, tcs + offsetof(uapi::Tcs, ssa_offset), kAug2), Result::ok());
  ASSERT_EQ(store64(0, tcs + offsetof(uapi::Tcs, ssa_index), uint64_t(1) << 32), Result::ok());
  ASSERT_EQ(store64(0, tcs + offsetof(uapi::Tcs, entry_offset), TestEnclave::kCode),
            Result::ok());
  ASSERT_EQ(store64(0, tcs + offsetof(uapi::Tcs, fs_limit), ~uint64_t(0)), Result::ok());
  ASSERT_EQ(cpu().eexit(kAep), Result::ok());

  ASSERT_EQ(emodt(kAug, kTcsType), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  EXPECT_EQ(eenter(1, kAug), Result::pf(la(kAug), kEpcmRead)) << "not accepted yet";
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(eaccept(0, kTcsType | kModified, kAug), Result::ok());

  ASSERT_EQ(eenter(1, kAug), Result::ok());
  EXPECT_EQ(cpu(1).regs().rip, la(TestEnclave::kCode));
  EXPECT_EQ(Inspector(m()).cpu_view(1).tcs, la(kAug));
  EXPECT_EQ(load64(1, la(TestEnclave::kData)), uint64_t(kTcsType | kModified))
      << "the enclave's memory, seen from the new thread";
}

// ---- trim: EMODT(TRIM) + ETRACK, EACCEPT, EREMOVE

TEST_F(Sgx2Flows, TrimmedPageIsAcceptedThenRemoved) {
  ASSERT_EQ(emodt(kPage2, kTrim), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  // Linux's REMOVE_PAGES probe: not yet accepted.
  EXPECT_EQ(emodpr(kPage2, kReg | kR | kW | kX), Result::error(SgxCode::kPageNotModifiable));

  // Selftest "remove_added_page_invalid_access": a read of the trimmed page faults.
  ASSERT_EQ(eenter(), Result::ok());
  Result r;
  load64(0, la(kPage2), &r);
  EXPECT_EQ(r, Result::pf(la(kPage2), kEpcmRead));

  ASSERT_EQ(eenter(1, TestEnclave::kTcs2), Result::ok());
  ASSERT_EQ(eaccept(1, kTrim | kModified, kPage2), Result::ok());
  // "..._after_eaccept": still no access.
  load64(1, la(kPage2), &r);
  EXPECT_EQ(r, Result::pf(la(kPage2), kEpcmRead));
  // The probe now faults: accepted, so the kernel may remove it.
  EXPECT_EQ(emodpr(kPage2, kReg | kR | kW | kX), Result::epcm_pf(m().epc_addr(slot(kPage2))));
  ASSERT_EQ(eenter(), Result::ok());  // an enclave thread still runs
  EXPECT_EQ(cpu(kKernel).eremove(m().epc_addr(slot(kPage2))), Result::ok());
  EXPECT_FALSE(Inspector(m()).epcm(slot(kPage2)).valid);
}

// ---- accesses to pages with a change outstanding fault with the SGX bit

TEST_F(Sgx2Flows, PendingPageAccessesFaultWithSgxBit) {
  ASSERT_EQ(eaug(kAug), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  Result r;
  load64(0, la(kAug), &r);
  EXPECT_EQ(r, Result::pf(la(kAug), kEpcmRead));
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(store64(0, la(kAug), 1), Result::pf(la(kAug), kEpcmWrite));
}

TEST_F(Sgx2Flows, ModifiedPageAccessesFaultWithSgxBit) {
  ASSERT_EQ(emodt(kPage2, kTcsType), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  EXPECT_EQ(store64(0, la(kPage2), 1), Result::pf(la(kPage2), kEpcmWrite));
}

TEST_F(Sgx2Flows, AcceptedTrimPageAccessesFaultWithSgxBit) {
  ASSERT_EQ(emodt(kPage2, kTrim), Result::ok());
  ASSERT_EQ(etrack(), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(eaccept(0, kTrim | kModified, kPage2), Result::ok());
  EXPECT_EQ(store64(0, la(kPage2), 1), Result::pf(la(kPage2), kEpcmWrite));
}

TEST_F(Sgx2Flows, StaleTlbEntryOfTrimmedPageWorksUntilAnExit) {
  // EMODT, like EMODPR, changes only the EPCM: a translation made before it survives
  // until the CPU leaves, which is why EACCEPT demands tracking.
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_EQ(store64(0, la(kPage2), 9), Result::ok());
  ASSERT_EQ(emodt(kPage2, kTrim), Result::ok());
  EXPECT_EQ(load64(0, la(kPage2)), 9u);
  ASSERT_EQ(etrack(), Result::ok());
  EXPECT_EQ(eaccept(0, kTrim | kModified, kPage2), Result::error(SgxCode::kNotTracked));
  ASSERT_EQ(cpu().eexit(kAep), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  Result r;
  load64(0, la(kPage2), &r);
  EXPECT_EQ(r, Result::pf(la(kPage2), kEpcmRead));
}

}  // namespace
}  // namespace sgxref::hw
