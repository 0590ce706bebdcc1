// The checks a TLB miss makes before it fills a translation (docs/hw.md "Enclave access
// and the TLB"), one test per check: the access is refused with the exact #PF while
// every other check passes, and the same access succeeds once that one condition is
// gone. Then what a fill holds (only the rights both the PTE and the EPCM grant) and how
// long it lasts (a PTE edit reaches a CPU that cached the old one only through an IPI).
//
// A refusal is delivered by AEX, which flushes the TLB, so "no entry was filled" is
// checked after the fact; what shows that the refused translation was never made usable
// is the fault itself and the retry that succeeds only once the condition is removed.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/internals.h"
#include "hw/machine.h"
#include "hw/page_table.h"
#include "sched/mutex.h"
#include "testlib/pager.h"
#include "testlib/sgx2_fixture.h"
#include "testlib/test_enclave.h"
#include "testlib/twin_enclave_fixture.h"
#include "uapi/page_type.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

// Page-fault error codes of the enclave accesses (docs/hw.md): U always, P when the PTE
// was present, W for a store, I for a fetch, SGX when the EPCM refused.
constexpr uint32_t kPteAbsentRead = 0x4;
constexpr uint32_t kPteRefusedWrite = 0x7;
constexpr uint32_t kPteRefusedFetch = 0x15;
constexpr uint32_t kEpcmRefusedRead = 0x8005;
constexpr uint32_t kEpcmRefusedWrite = 0x8007;
constexpr uint32_t kEpcmRefusedFetch = 0x8015;

// The page the checks are tried on: REG RW, mapped RW and not executable, and not the
// page where the Sgx2Fixture's enclave code keeps its SECINFO.
constexpr uint64_t kPage = TestEnclave::kData2;

// Shared by the suites below: CPU 0 runs the enclave through TCS #1.
template <typename Base>
class EnclaveThread : public Base {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Base::SetUp());
    ASSERT_EQ(this->eenter(), Result::ok());
  }

  Pte pte_to(uint32_t epc_slot, bool writable, bool nx) const {
    return Pte{.present = true, .writable = writable, .nx = nx, .pa = this->m_->epc_addr(epc_slot)};
  }
  // The PTE TestEnclave::build gave the page at `offset`, with `writable` and `nx`.
  void map_own(uint64_t offset, bool writable, bool nx) {
    this->pt().set(this->la(offset), pte_to(this->slot(offset), writable, nx));
  }

  Result load(uint64_t offset, uint64_t* value = nullptr) {
    uint64_t v = 0;
    const Result r = this->cpu().load(this->la(offset), &v, 8);
    if (value != nullptr) *value = v;
    return r;
  }
  Result store(uint64_t offset, uint64_t v) { return this->cpu().store(this->la(offset), &v, 8); }
  Result fetch(uint64_t offset) {
    uint64_t insn;
    return this->cpu().fetch(this->la(offset), &insn, 8);
  }

  // A refused access: the fault came back by AEX and no translation was kept.
  void expect_refused(const Result& got, uint64_t offset, uint32_t error_code) {
    EXPECT_EQ(got, Result::pf(this->la(offset), error_code));
    EXPECT_FALSE(this->cpu().in_enclave_mode());
    EXPECT_TRUE(Inspector(this->m()).cpu_view(0).tlb.empty());
  }
  // CPU 0's TLB entry for the page at `offset`, if any.
  std::optional<TlbEntryView> tlb_entry(uint64_t offset) {
    for (const TlbEntryView& e : Inspector(this->m()).cpu_view(0).tlb) {
      if (e.page == this->la(offset)) return e;
    }
    return std::nullopt;
  }
  TlbEntryView entry(uint64_t offset, bool r, bool w, bool x) const {
    return TlbEntryView{
        .page = this->la(offset), .slot = this->slot(offset), .r = r, .w = w, .x = x};
  }

  // Some EPCM states cannot be reached by a leaf sequence with every other field intact
  // (no leaf makes a TCS, TRIM, SECS or VA page with R and W, nor a MODIFIED REG page),
  // so the tests isolating those checks set the field directly.
  template <typename Edit>
  void edit_epcm(uint64_t offset, const Edit& edit) {
    MachineState& s = Internals::of(this->m());
    sched::MutexLock l(s.mu());
    edit(s.epcm_entry(this->slot(offset)));
  }
};

class TlbFillChecks : public EnclaveThread<testlib::Sgx2Fixture> {
 protected:
  // A page whose type alone is not REG is refused; back to REG, it is used.
  void expect_type_refused(PageType type) {
    edit_epcm(kPage, [type](EpcmEntry& e) { e.type = type; });
    expect_refused(load(kPage), kPage, kEpcmRefusedRead);
    ASSERT_EQ(eresume(), Result::ok());
    edit_epcm(kPage, [](EpcmEntry& e) { e.type = PageType::kReg; });
    EXPECT_EQ(load(kPage), Result::ok());
    EXPECT_EQ(tlb_entry(kPage), entry(kPage, true, true, false));
  }
};

// ---- the page walk

TEST_F(TlbFillChecks, PteNotPresentIsPf4) {
  pt().clear(la(kPage));
  expect_refused(load(kPage), kPage, kPteAbsentRead);
  ASSERT_EQ(eresume(), Result::ok());
  map_own(kPage, true, true);
  EXPECT_EQ(load(kPage), Result::ok());
}

TEST_F(TlbFillChecks, StoreThroughReadOnlyPteIsPf7EvenWhenTheEpcmGrantsW) {
  map_own(kPage, /*writable=*/false, true);
  expect_refused(store(kPage, 1), kPage, kPteRefusedWrite);
  ASSERT_EQ(eresume(), Result::ok());
  map_own(kPage, /*writable=*/true, true);
  EXPECT_EQ(store(kPage, 1), Result::ok());
  EXPECT_EQ(tlb_entry(kPage), entry(kPage, true, true, false));
}

TEST_F(TlbFillChecks, FetchThroughNxPteIsPf15EvenWhenTheEpcmGrantsX) {
  map_own(TestEnclave::kCode, false, /*nx=*/true);
  expect_refused(fetch(TestEnclave::kCode), TestEnclave::kCode, kPteRefusedFetch);
  ASSERT_EQ(eresume(), Result::ok());
  map_own(TestEnclave::kCode, false, /*nx=*/false);
  EXPECT_EQ(fetch(TestEnclave::kCode), Result::ok());
  EXPECT_EQ(tlb_entry(TestEnclave::kCode), entry(TestEnclave::kCode, true, false, true));
}

// ---- the EPCM

TEST_F(TlbFillChecks, InvalidEntryIsPf8005) {
  edit_epcm(kPage, [](EpcmEntry& e) { e.valid = false; });
  expect_refused(load(kPage), kPage, kEpcmRefusedRead);
  ASSERT_EQ(eresume(), Result::ok());
  edit_epcm(kPage, [](EpcmEntry& e) { e.valid = true; });
  EXPECT_EQ(load(kPage), Result::ok());
}

TEST_F(TlbFillChecks, TcsTypeIsPf8005EvenWithEpcmRights) {
  expect_type_refused(PageType::kTcs);
}

TEST_F(TlbFillChecks, TrimTypeIsPf8005EvenWithEpcmRights) {
  expect_type_refused(PageType::kTrim);
}

TEST_F(TlbFillChecks, SecsTypeIsPf8005EvenWithEpcmRights) {
  expect_type_refused(PageType::kSecs);
}

TEST_F(TlbFillChecks, VaTypeIsPf8005EvenWithEpcmRights) {
  expect_type_refused(PageType::kVa);
}

TEST_F(TlbFillChecks, SecsFrameMappedInElrangeIsPf8005) {
  pt().set(la(kPage), pte_to(enclave().secs_slot(), true, true));
  expect_refused(load(kPage), kPage, kEpcmRefusedRead);
  ASSERT_EQ(eresume(), Result::ok());
  map_own(kPage, true, true);
  EXPECT_EQ(load(kPage), Result::ok());
}

TEST_F(TlbFillChecks, VaFrameMappedInElrangeIsPf8005) {
  constexpr uint32_t kVaPage = 28;  // free in this machine
  ASSERT_EQ(cpu(kKernel).epa(uint64_t(PageType::kVa), m().epc_addr(kVaPage)), Result::ok());
  pt().set(la(kPage), pte_to(kVaPage, true, true));
  expect_refused(load(kPage), kPage, kEpcmRefusedRead);
  ASSERT_EQ(eresume(), Result::ok());
  map_own(kPage, true, true);
  EXPECT_EQ(load(kPage), Result::ok());
}

TEST_F(TlbFillChecks, PageOfThisEnclaveAtAnotherAddressIsPf8005) {
  // The frame is valid REG RW of this enclave, but EADD put it at kPage, not at kData.
  pt().set(la(TestEnclave::kData), pte_to(slot(kPage), true, true));
  expect_refused(load(TestEnclave::kData), TestEnclave::kData, kEpcmRefusedRead);
  ASSERT_EQ(eresume(), Result::ok());
  map_own(TestEnclave::kData, true, true);
  EXPECT_EQ(load(TestEnclave::kData), Result::ok());
}

TEST_F(TlbFillChecks, LoadWithoutEpcmRIsPf8005) {
  ASSERT_EQ(emodpr(kPage, kReg), Result::ok());  // restricted to no access
  expect_refused(load(kPage), kPage, kEpcmRefusedRead);
  ASSERT_EQ(eresume(), Result::ok());
  ASSERT_EQ(emodpe(0, kR, kPage), Result::ok());
  EXPECT_EQ(load(kPage), Result::ok());
  EXPECT_EQ(tlb_entry(kPage), entry(kPage, true, false, false));
}

TEST_F(TlbFillChecks, StoreWithoutEpcmWIsPf8007) {
  ASSERT_EQ(emodpr(kPage, kReg | kR), Result::ok());
  expect_refused(store(kPage, 1), kPage, kEpcmRefusedWrite);
  ASSERT_EQ(eresume(), Result::ok());
  ASSERT_EQ(emodpe(0, kW, kPage), Result::ok());
  EXPECT_EQ(store(kPage, 1), Result::ok());
  EXPECT_EQ(tlb_entry(kPage), entry(kPage, true, true, false));
}

TEST_F(TlbFillChecks, FetchWithoutEpcmXIsPf8015) {
  map_own(kPage, true, /*nx=*/false);
  expect_refused(fetch(kPage), kPage, kEpcmRefusedFetch);
  ASSERT_EQ(eresume(), Result::ok());
  ASSERT_EQ(emodpe(0, kX, kPage), Result::ok());
  EXPECT_EQ(fetch(kPage), Result::ok());
  EXPECT_EQ(tlb_entry(kPage), entry(kPage, true, true, true));
}

TEST_F(TlbFillChecks, PendingPageIsPf8005UntilAccepted) {
  ASSERT_EQ(eaug(kAug), Result::ok());  // REG RW at kAug, mapped RW
  expect_refused(load(kAug), kAug, kEpcmRefusedRead);
  ASSERT_EQ(eresume(), Result::ok());
  ASSERT_EQ(eaccept(0, kReg | kR | kW | kPending, kAug), Result::ok());
  EXPECT_EQ(load(kAug), Result::ok());
}

TEST_F(TlbFillChecks, ModifiedRegPageIsPf8005) {
  // EMODT sets MODIFIED together with a new type and no rights; here only MODIFIED.
  edit_epcm(kPage, [](EpcmEntry& e) { e.modified = true; });
  expect_refused(load(kPage), kPage, kEpcmRefusedRead);
  ASSERT_EQ(eresume(), Result::ok());
  edit_epcm(kPage, [](EpcmEntry& e) { e.modified = false; });
  EXPECT_EQ(load(kPage), Result::ok());
}

TEST_F(TlbFillChecks, BlockedPageIsPf8007UntilReloaded) {
  constexpr uint32_t kVaPage = 28;  // free in this machine
  testlib::Pager pager(m(), kKernel);
  ASSERT_EQ(pager.epa(kVaPage), Result::ok());
  ASSERT_EQ(pager.eblock(slot(kPage)), Result::ok());
  expect_refused(store(kPage, 1), kPage, kEpcmRefusedWrite);

  // EWB and ELDU bring the page back unblocked, at the same address in the same slot.
  testlib::Blob blob;
  ASSERT_EQ(pager.etrack(enclave().secs_slot()), Result::ok());
  ASSERT_EQ(pager.ewb(slot(kPage), pager.va_slot(kVaPage, 0), blob), Result::ok());
  ASSERT_EQ(pager.eldu(blob, slot(kPage)), Result::ok());
  ASSERT_FALSE(Inspector(m()).epcm(slot(kPage)).blocked);
  ASSERT_EQ(eresume(), Result::ok());
  EXPECT_EQ(store(kPage, 1), Result::ok());
  EXPECT_EQ(tlb_entry(kPage), entry(kPage, true, true, false));
}

TEST_F(TlbFillChecks, PageWithRestrictionPendingIsUsedWithItsRights) {
  // EMODPR that keeps R and W still sets PR; PR is no reason to refuse.
  ASSERT_EQ(emodpr(kPage, kReg | kR | kW), Result::ok());
  ASSERT_TRUE(Inspector(m()).epcm(slot(kPage)).pr);
  EXPECT_EQ(store(kPage, 1), Result::ok());
  EXPECT_EQ(tlb_entry(kPage), entry(kPage, true, true, false));
}

// ---- what a fill holds

class TlbFillRights : public TlbFillChecks {};

TEST_F(TlbFillRights, ReadOnlyPteFillsNoWriteRightTheEpcmGrants) {
  map_own(kPage, /*writable=*/false, true);
  ASSERT_EQ(load(kPage), Result::ok());
  EXPECT_EQ(tlb_entry(kPage), entry(kPage, true, false, false));
  // The entry cannot serve the store: it re-walks and the PTE refuses.
  expect_refused(store(kPage, 1), kPage, kPteRefusedWrite);
}

TEST_F(TlbFillRights, NxPteFillsNoExecuteRightTheEpcmGrants) {
  map_own(TestEnclave::kCode, false, /*nx=*/true);
  ASSERT_EQ(load(TestEnclave::kCode), Result::ok());
  EXPECT_EQ(tlb_entry(TestEnclave::kCode), entry(TestEnclave::kCode, true, false, false));
  expect_refused(fetch(TestEnclave::kCode), TestEnclave::kCode, kPteRefusedFetch);
}

// ---- a PTE edit and the translations already made

class TlbFillStale : public TlbFillChecks {};

TEST_F(TlbFillStale, EntryKeepsWriteRightThePteLostUntilIpi) {
  ASSERT_EQ(store(kPage, 1), Result::ok());
  map_own(kPage, /*writable=*/false, true);  // mprotect(PROT_READ) with no shootdown
  EXPECT_EQ(store(kPage, 2), Result::ok());
  EXPECT_EQ(tlb_entry(kPage), entry(kPage, true, true, false));

  m().ipi(0);
  EXPECT_EQ(store(kPage, 3), Result::interrupted());
  EXPECT_TRUE(Inspector(m()).cpu_view(0).tlb.empty());
  ASSERT_EQ(eresume(), Result::ok());
  // The walk after the IPI reads the new PTE.
  expect_refused(store(kPage, 3), kPage, kPteRefusedWrite);
  ASSERT_EQ(eresume(), Result::ok());
  uint64_t v = 0;
  EXPECT_EQ(load(kPage, &v), Result::ok());
  EXPECT_EQ(v, 2u);
  EXPECT_EQ(tlb_entry(kPage), entry(kPage, true, false, false));
}

TEST_F(TlbFillStale, EntryOutlivesItsPteUntilIpi) {
  ASSERT_EQ(store(kPage, 1), Result::ok());
  pt().clear(la(kPage));  // munmap with no shootdown
  EXPECT_EQ(store(kPage, 2), Result::ok());
  EXPECT_EQ(load(kPage), Result::ok());

  m().ipi(0);
  EXPECT_EQ(load(kPage), Result::interrupted());
  ASSERT_EQ(eresume(), Result::ok());
  expect_refused(load(kPage), kPage, kPteAbsentRead);
}

// ---- another enclave's page at the same linear address

class TlbFillOtherEnclave : public EnclaveThread<testlib::TwinEnclaveFixture> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(EnclaveThread::SetUp());
    ASSERT_EQ(enter_twin(), Result::ok());
  }
  uint64_t twin_load(uint64_t offset, Result* r = nullptr) {
    return load64(kTwinCpu, twin().la(offset), r);
  }
};

TEST_F(TlbFillOtherEnclave, PageOfAnotherEnclaveAtTheSameAddressIsPf8007) {
  // The twin's page passes every other check at this address: its own enclave uses it.
  ASSERT_EQ(store64(kTwinCpu, twin().la(kPage), 0x7777), Result::ok());
  map_twin_page(kPage);
  expect_refused(store(kPage, 1), kPage, kEpcmRefusedWrite);
  Result r;
  EXPECT_EQ(twin_load(kPage, &r), 0x7777u);
  EXPECT_EQ(r, Result::ok());

  ASSERT_EQ(eresume(), Result::ok());
  map_own(kPage, true, true);
  EXPECT_EQ(store(kPage, 1), Result::ok());
  EXPECT_EQ(tlb_entry(kPage), entry(kPage, true, true, false));
}

TEST_F(TlbFillOtherEnclave, StaleEntryKeepsItsOwnPageWhenThePteMapsAnotherEnclavesUntilIpi) {
  ASSERT_EQ(store(kPage, 1), Result::ok());
  ASSERT_EQ(store64(kTwinCpu, twin().la(kPage), 0x7777), Result::ok());
  map_twin_page(kPage);

  // The cached translation still leads to this enclave's page, never to the twin's.
  EXPECT_EQ(store(kPage, 2), Result::ok());
  EXPECT_EQ(tlb_entry(kPage), entry(kPage, true, true, false));
  uint64_t v = 0;
  EXPECT_EQ(load(kPage, &v), Result::ok());
  EXPECT_EQ(v, 2u);
  Result r;
  EXPECT_EQ(twin_load(kPage, &r), 0x7777u);
  EXPECT_EQ(r, Result::ok());

  m().ipi(0);
  EXPECT_EQ(load(kPage), Result::interrupted());
  ASSERT_EQ(eresume(), Result::ok());
  // The walk after the IPI reads the new PTE, and the EPCM refuses the twin's page.
  expect_refused(load(kPage), kPage, kEpcmRefusedRead);
  EXPECT_EQ(twin_load(kPage), 0x7777u);
}

}  // namespace
}  // namespace sgxref::hw
