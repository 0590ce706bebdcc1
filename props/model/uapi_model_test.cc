// model/uapi's rules, one test each, on a small enclave: ELRANGE of 16 pages at 0x10000000,
// the modelled part from page 4, pages 4 to 7 a heap mapped RW, the rest holes mapped RWX.
#include <gtest/gtest.h>

#include <set>

#include "uapi/build_ioctls.h"
#include "uapi/enclave_ops.h"
#include "uapi/enclave_state.h"
#include "uapi/mapping.h"
#include "uapi/sgx2_ioctls.h"

namespace sgxref::model::uapi {
namespace {

constexpr uint64_t kBase = 0x1000'0000;
constexpr uint64_t kHeap = 4 * kPage;
constexpr uint64_t kHole = 8 * kPage;
constexpr uint64_t kTcsAt = 0;  // a thread's TCS

Enclave small() {
  Enclave e;
  e.base = kBase;
  e.size = 16 * kPage;
  e.first = kHeap;
  e.vma_starts = {kHeap, kHole};
  for (uint64_t off = kHeap; off < e.size; off += kPage) {
    e.vma_prot[off] = off < kHole ? prot::kRw : prot::kRwx;
    if (off >= kHole) continue;
    Page p;
    p.rights = prot::kRw;
    p.max_prot = prot::kRw;
    e.pages[off] = p;
  }
  return e;
}

Sgx2Args range(uint64_t offset, uint64_t pages, uint64_t mode = 0) {
  return Sgx2Args{offset, pages * kPage, mode, 0, 0, false};
}

uint64_t accept_flags(int64_t type, uint64_t extra) { return secinfo::type(type) | extra; }

TEST(UapiModel, TheRangeCheckRefusesMisalignmentNoLengthOverflowAndThePastEnd) {
  Enclave e = small();
  const Enclave before = e;
  for (const Sgx2Args& a : {Sgx2Args{kHeap + 8, kPage}, Sgx2Args{kHeap, 0}, Sgx2Args{kHeap, 100},
                            Sgx2Args{kHeap, ~(kPage - 1)}, Sgx2Args{e.size, kPage}}) {
    EXPECT_EQ(restrict_permissions(e, a).ret, err::kInval);
  }
  EXPECT_EQ(restrict_permissions(e, range(e.size - kPage, 1, prot::kR)).ret, err::kFault)
      << "the last page passes the check; it is a hole";
  EXPECT_EQ(e.pages.size(), before.pages.size());
}

TEST(UapiModel, ARefusedArgumentIsCopiedBackUnchangedAndABadPointerIsEfault) {
  Enclave e = small();
  Sgx2Args a = range(kHeap, 1, prot::kR);
  a.count = kPage;
  EXPECT_EQ(restrict_permissions(e, a), (IoctlOutcome{err::kInval, 0, kPage}));
  a.count = 0;
  a.bad_pointer = true;
  EXPECT_EQ(restrict_permissions(e, a).ret, err::kFault);
  EXPECT_EQ(restrict_permissions(e, range(kHeap, 1, prot::kW)).ret, err::kInval) << "W without R";
  EXPECT_EQ(e.pages.at(kHeap).rights, prot::kRw);
}

TEST(UapiModel, RestrictStopsAtAHoleWithEfaultAndTheBytesDoneInCount) {
  Enclave e = small();
  EXPECT_EQ(restrict_permissions(e, range(kHole - 2 * kPage, 3, prot::kR)),
            (IoctlOutcome{err::kFault, 0, 2 * kPage}));
  EXPECT_EQ(e.pages.at(kHole - kPage).rights, prot::kR);
  EXPECT_TRUE(e.pages.at(kHole - kPage).pr);
}

TEST(UapiModel, RestrictOfAPendingPageReportsPageNotModifiableInResult) {
  Enclave e = small();
  EXPECT_FALSE(enter(e, kTcsAt, {EnclaveOp::Kind::kLoad, kHole, 0}).exited);  // EAUG
  EXPECT_EQ(restrict_permissions(e, range(kHole, 1, prot::kR)),
            (IoctlOutcome{err::kFault, uint64_t(sgx::kPageNotModifiable), 0}));
}

TEST(UapiModel, RestrictOnlyRemovesRightsAndSetsPr) {
  Enclave e = small();
  EXPECT_EQ(restrict_permissions(e, range(kHeap, 1, prot::kRwx)).ret, 0);
  EXPECT_EQ(e.pages.at(kHeap).rights, prot::kRw) << "X is not added";
  EXPECT_TRUE(e.pages.at(kHeap).pr);
}

TEST(UapiModel, ATcsIsMadeFromAPageMappableRwAndIsThenMappableRwOnly) {
  Enclave e = small();
  e.pages.at(kHeap).max_prot = prot::kR;
  EXPECT_EQ(modify_types(e, range(kHeap, 1, uint64_t(pt::kTcs))), (IoctlOutcome{err::kPerm, 0, 0}));
  EXPECT_EQ(enter(e, kTcsAt, {EnclaveOp::Kind::kLoad, kHole, 0}).vector, 14);  // EAUG
  EXPECT_EQ(modify_types(e, range(kHole, 1, uint64_t(pt::kTcs))),
            (IoctlOutcome{err::kFault, uint64_t(sgx::kPageNotModifiable), 0}))
      << "PENDING: EMODT refuses";
  EXPECT_EQ(e.pages.at(kHole).max_prot, prot::kRwx) << "kept when EMODT refused";
  EXPECT_TRUE(enter(e, kTcsAt + kPage, {EnclaveOp::Kind::kEaccept, kHole,
                                        accept_flags(pt::kReg, secinfo::kPending | prot::kRw)})
                  .exited);
  EXPECT_EQ(modify_types(e, range(kHole, 1, uint64_t(pt::kTcs))).ret, 0);
  const Page& tcs = e.pages.at(kHole);
  EXPECT_EQ(tcs.max_prot, prot::kRw);
  EXPECT_EQ(tcs.type, pt::kTcs);
  EXPECT_TRUE(tcs.modified);
  EXPECT_EQ(tcs.rights, 0);
}

TEST(UapiModel, AnAccessToAPageMappedBeyondItsMaxProtIsANotPresentFault) {
  Enclave e = small();
  e.pages[kHole] = augmented_page();
  e.pages[kHole].pending = false;
  EXPECT_EQ(modify_types(e, range(kHole, 1, uint64_t(pt::kTcs))).ret, 0);
  EXPECT_EQ(enter(e, kTcsAt, {EnclaveOp::Kind::kStore, kHole, 1}),
            page_fault(kBase + kHole, pfec::kU | pfec::kW))
      << "RWX mapping, RW at most: the fault handler refuses it (SIGBUS)";
}

TEST(UapiModel, ModifyTypesRefusesTrimToTcsAndOnlyTcsOrTrimAreTypes) {
  Enclave e = small();
  EXPECT_EQ(modify_types(e, range(kHeap, 1, uint64_t(pt::kReg))),
            (IoctlOutcome{err::kInval, 0, 0}));
  EXPECT_EQ(modify_types(e, range(kHeap, 1, 0x100 | uint64_t(pt::kTrim))).ret, err::kInval);
  EXPECT_EQ(modify_types(e, range(kHeap, 1, uint64_t(pt::kTrim))).ret, 0);
  EXPECT_EQ(modify_types(e, range(kHeap, 1, uint64_t(pt::kTcs))).ret, err::kInval);
}

TEST(UapiModel, RemoveTakesOnlyAnAcceptedTrimAndLeavesAHole) {
  Enclave e = small();
  EXPECT_EQ(remove_pages(e, range(kHeap, 1)).ret, err::kPerm) << "not TRIM";
  EXPECT_EQ(modify_types(e, range(kHeap, 1, uint64_t(pt::kTrim))).ret, 0);
  EXPECT_EQ(remove_pages(e, range(kHeap, 1)).ret, err::kPerm) << "not accepted: the probe";
  EXPECT_EQ(enter(e, kTcsAt, {EnclaveOp::Kind::kEaccept, kHeap,
                              accept_flags(pt::kTrim, secinfo::kModified)}),
            exited(0));
  EXPECT_EQ(remove_pages(e, range(kHeap, 1)), (IoctlOutcome{0, 0, kPage}));
  EXPECT_EQ(e.pages.count(kHeap), 0u);
  EXPECT_EQ(remove_pages(e, range(kHeap, 1)).ret, err::kFault) << "a hole";
}

// The interleavings property's first finding: a REMOVE_PAGES answering -EBUSY at an
// accepted TRIM page the reclaimer had taken off its LRU but not yet marked, which the
// model did not allow (Linux: sgx_unmark_page_reclaimable failing after the probe).
TEST(UapiModel, APageTheReclaimerHoldsStopsTheWalkThereAfterThePagesBeforeIt) {
  Enclave e = small();
  const Enclave before = e;
  EXPECT_EQ(busy(range(kHeap, 2, prot::kR)), (IoctlOutcome{err::kBusy, 0, 0}));
  // Marked as being reclaimed: the load answers -EBUSY, the walk -EAGAIN, before any
  // check of the page.
  EXPECT_EQ(restrict_permissions(e, range(kHeap, 2, prot::kR), {kPage, true}),
            (IoctlOutcome{err::kAgain, 0, kPage}));
  EXPECT_TRUE(e.pages.at(kHeap).pr) << "the page before it was done";
  EXPECT_EQ(e.pages.at(kHeap + kPage), before.pages.at(kHeap + kPage));
  EXPECT_EQ(modify_types(e, range(kHeap + 2 * kPage, 1, uint64_t(pt::kTcs)), {0, true}),
            (IoctlOutcome{err::kAgain, 0, 0}));
  // Only off the LRU: RESTRICT and MODIFY to TRIM go through; MODIFY to TCS and REMOVE
  // stop where they take the page off the LRU themselves, after their checks.
  EXPECT_EQ(modify_types(e, range(kHeap + 2 * kPage, 1, uint64_t(pt::kTrim)), {0, false}).ret, 0);
  EXPECT_EQ(modify_types(e, range(kHeap + 3 * kPage, 1, uint64_t(pt::kTcs)), {0, false}),
            (IoctlOutcome{err::kAgain, 0, 0}));
  EXPECT_EQ(e.pages.at(kHeap + 3 * kPage).type, pt::kReg);
  EXPECT_EQ(remove_pages(e, range(kHeap + 2 * kPage, 1), {0, false}),
            (IoctlOutcome{err::kPerm, 0, 0}))
      << "the probe comes first: the TRIM is not accepted yet";
  EXPECT_EQ(enter(e, kTcsAt, {EnclaveOp::Kind::kEaccept, kHeap + 2 * kPage,
                              accept_flags(pt::kTrim, secinfo::kModified)}),
            exited(0));
  EXPECT_EQ(remove_pages(e, range(kHeap + 2 * kPage, 1), {0, false}),
            (IoctlOutcome{err::kBusy, 0, 0}));
  EXPECT_EQ(e.pages.count(kHeap + 2 * kPage), 1u);
}

TEST(UapiModel, AnAccessToAHoleAddsAPendingPageThatFaultsWithPfecSgx) {
  Enclave e = small();
  EXPECT_EQ(enter(e, kTcsAt, {EnclaveOp::Kind::kStore, kHole + 8, 5}),
            page_fault(kBase + kHole + 8, pfec::kP | pfec::kU | pfec::kW | pfec::kSgx));
  EXPECT_EQ(e.pages.at(kHole), augmented_page());
}

TEST(UapiModel, EacceptComparesEverythingButPrAndTheIllegalRequestsAreGp) {
  Enclave e = small();
  EXPECT_EQ(restrict_permissions(e, range(kHeap, 1, prot::kR)).ret, 0);
  EXPECT_EQ(enter(e, kTcsAt, {EnclaveOp::Kind::kEaccept, kHeap, accept_flags(pt::kReg, prot::kR)}),
            general_protection())
      << "neither PR nor PENDING";
  EXPECT_EQ(enter(e, kTcsAt + kPage,
                  {EnclaveOp::Kind::kEaccept, kHeap,
                   accept_flags(pt::kReg, secinfo::kPr | prot::kRw)}),
            exited(uint64_t(sgx::kPageAttributesMismatch)));
  EXPECT_EQ(enter(e, kTcsAt + 2 * kPage,
                  {EnclaveOp::Kind::kEaccept, kHeap,
                   accept_flags(pt::kReg, secinfo::kPr | prot::kR)}),
            exited(0));
  EXPECT_FALSE(e.pages.at(kHeap).pr);
}

TEST(UapiModel, ATcsIsAcceptedOnlyInAUsableState) {
  Enclave e = small();
  EXPECT_EQ(modify_types(e, range(kHeap, 1, uint64_t(pt::kTcs))).ret, 0);
  const uint64_t tcs = accept_flags(pt::kTcs, secinfo::kModified);
  EXPECT_EQ(enter(e, kTcsAt, {EnclaveOp::Kind::kEaccept, kHeap, tcs}), general_protection())
      << "zeroes: NSSA is 0";
  EXPECT_EQ(enter(e, kTcsAt + kPage,
                  {EnclaveOp::Kind::kInitTcs, kHeap + kPage, kHeap + 2 * kPage, 0x2010}),
            exited(0));
  EXPECT_EQ(modify_types(e, range(kHeap + kPage, 1, uint64_t(pt::kTcs))).ret, 0);
  EXPECT_EQ(enter(e, kTcsAt + 2 * kPage, {EnclaveOp::Kind::kEaccept, kHeap + kPage, tcs}),
            exited(0));
}

TEST(UapiModel, AStoppedThreadRefusesEenterAndResumesItsOwnOperation) {
  Enclave e = small();
  const EnclaveOp store{EnclaveOp::Kind::kStore, kHole, 7};
  EXPECT_FALSE(enter(e, kTcsAt, store).exited);
  EXPECT_EQ(enter(e, kTcsAt, {EnclaveOp::Kind::kLoad, kHeap, 0}), general_protection());
  EXPECT_EQ(resume(e, kTcsAt + kPage), general_protection()) << "nothing stopped there";
  EXPECT_EQ(enter(e, kTcsAt + kPage, {EnclaveOp::Kind::kEaccept, kHole,
                                      accept_flags(pt::kReg, secinfo::kPending | prot::kRw)}),
            exited(0));
  EXPECT_EQ(resume(e, kTcsAt), exited(0));
  EXPECT_EQ(e.pages.at(kHole).word(0), 7u);
  EXPECT_TRUE(e.stopped.empty());
}

EnclaveOp accept_copy(uint64_t to, uint64_t from, uint64_t flags) {
  EnclaveOp op{EnclaveOp::Kind::kEacceptCopy, to, flags};
  op.source = from;
  return op;
}

// SDM EACCEPTCOPY: the SECINFO first (#GP), then the source as a data page (SGX #PF on
// it), then the destination PENDING with EAUG's RW (SGX_PAGE_ATTRIBUTES_MISMATCH); it
// takes the source's bytes and the SECINFO's rights.
TEST(UapiModel, EacceptCopyFillsAPendingPageFromAReadableOneWithTheRightsAsked) {
  Enclave e = small();
  e.pages.at(kHeap).set_word(0, 42);
  e.pages[kHole] = augmented_page();
  EXPECT_EQ(enter(e, kTcsAt, accept_copy(kHole, kHeap, secinfo::type(pt::kReg) | prot::kW)),
            general_protection())
      << "W without R";
  EXPECT_EQ(enter(e, kTcsAt + kPage, accept_copy(kHole, kHole, secinfo::type(pt::kReg) | prot::kR)),
            page_fault(kBase + kHole, pfec::kP | pfec::kU | pfec::kSgx))
      << "a pending source";
  EXPECT_EQ(enter(e, 2 * kPage, accept_copy(kHeap + kPage, kHeap, secinfo::type(pt::kReg) | prot::kR)),
            exited(uint64_t(sgx::kPageAttributesMismatch)))
      << "a destination that is not pending";
  EXPECT_EQ(enter(e, 3 * kPage, accept_copy(kHole, kHeap, secinfo::type(pt::kReg) | prot::kR)),
            exited(0));
  EXPECT_EQ(e.pages.at(kHole).word(0), 42u);
  EXPECT_EQ(e.pages.at(kHole).rights, prot::kR);
  EXPECT_FALSE(e.pages.at(kHole).pending);
  EXPECT_EQ(e.pages.at(kHole).max_prot, prot::kRwx) << "the driver does not know";
}

TEST(UapiModel, EmodpeAddsRightsButNeverWWithoutR) {
  Enclave e = small();
  EXPECT_EQ(restrict_permissions(e, range(kHeap, 1, 0)).ret, 0);
  EXPECT_EQ(enter(e, kTcsAt, {EnclaveOp::Kind::kEmodpe, kHeap, prot::kW}), general_protection());
  EXPECT_EQ(enter(e, kTcsAt + kPage, {EnclaveOp::Kind::kEmodpe, kHeap, prot::kRwx}), exited(0));
  EXPECT_EQ(e.pages.at(kHeap).rights, prot::kRwx);
  EXPECT_EQ(e.pages.at(kHeap).max_prot, prot::kRw) << "the driver does not know";
}

TEST(UapiModel, MprotectRefusesRightsBeyondAPagesMaxAndHolesTakeAnything) {
  Enclave e = small();
  EXPECT_EQ(mprotect(e, kHole - kPage, 2 * kPage, prot::kRwx), err::kAccess) << "a heap page is RW";
  EXPECT_EQ(e.vma_prot.at(kHole), prot::kRwx) << "nothing changed";
  EXPECT_EQ(mprotect(e, kHole - kPage, 2 * kPage, prot::kR), 0);
  EXPECT_EQ(e.vma_prot.at(kHole - kPage), prot::kR);
  EXPECT_EQ(mprotect(e, kHole, kPage, prot::kRwx), 0);
}

// Linux's do_mprotect_pkey goes VMA by VMA and stops at the first its driver refuses,
// the VMAs before it changed.
TEST(UapiModel, MprotectChangesEachVmaBeforeTheOneThatRefuses) {
  Enclave e = small();
  EXPECT_EQ(mprotect(e, kHeap + kPage, kPage, prot::kR), 0);
  EXPECT_EQ(e.vma_starts, (std::set<uint64_t>{kHeap, kHeap + kPage, kHeap + 2 * kPage, kHole}));
  e.pages.at(kHeap + 2 * kPage).max_prot = 0;  // the third VMA's page may not be mapped R
  EXPECT_EQ(mprotect(e, kHeap, 3 * kPage, prot::kR), err::kAccess);
  EXPECT_EQ(e.vma_prot.at(kHeap), prot::kR) << "changed before the refusal";
  EXPECT_EQ(e.vma_prot.at(kHeap + 2 * kPage), prot::kRw) << "the refused VMA";
  EXPECT_EQ(e.vma_prot.at(kHeap + 3 * kPage), prot::kRw) << "after it";
}

TEST(UapiModel, MprotectToTheRightsAVmaHasSplitsNothing) {
  Enclave e = small();
  EXPECT_EQ(mprotect(e, kHeap + kPage, kPage, prot::kRw), 0);
  EXPECT_EQ(e.vma_starts, (std::set<uint64_t>{kHeap, kHole}));
}

// munmap splits the VMA it cuts into; the part after the range starts a VMA of its own.
TEST(UapiModel, MunmapLeavesAGapAndThePartAfterItIsAVmaOfItsOwn) {
  Enclave e = small();
  EXPECT_EQ(munmap(e, kHeap + kPage, kPage), 0);
  EXPECT_EQ(e.vma_prot.count(kHeap + kPage), 0u);
  EXPECT_EQ(e.vma_starts, (std::set<uint64_t>{kHeap, kHeap + 2 * kPage, kHole}));
  EXPECT_EQ(munmap(e, kHeap, 3 * kPage), 0) << "a gap in the range is no error";
  EXPECT_EQ(e.vma_starts, (std::set<uint64_t>{kHeap + 3 * kPage, kHole}));
}

// Linux's do_mprotect_pkey stops with -ENOMEM at a page no VMA maps, the VMAs before it
// changed.
TEST(UapiModel, MprotectStopsAtAGapWithEnomemAfterTheVmasBeforeIt) {
  Enclave e = small();
  EXPECT_EQ(munmap(e, kHeap + 2 * kPage, kPage), 0);
  EXPECT_EQ(mprotect(e, kHeap, 4 * kPage, prot::kR), err::kNoMem);
  EXPECT_EQ(e.vma_prot.at(kHeap + kPage), prot::kR) << "changed before the gap";
  EXPECT_EQ(e.vma_prot.at(kHeap + 3 * kPage), prot::kRw) << "after it";
  EXPECT_EQ(e.vma_starts, (std::set<uint64_t>{kHeap, kHeap + 3 * kPage, kHole}))
      << "the split at the gap is the gap itself";
}

// A private mapping is refused before anything changes; sgx_mmap's refusals come after
// mmap_region cleared the range, which they leave unmapped; an accepted mmap replaces
// whatever mapped the range with one VMA.
TEST(UapiModel, MmapRefusedByTheDriverLeavesAGapAndAnAcceptedOneReplacesTheRange) {
  Enclave e = small();
  EXPECT_EQ(mmap(e, kHole, kPage, prot::kR, false), err::kInval) << "private";
  EXPECT_EQ(e.vma_starts, (std::set<uint64_t>{kHeap, kHole})) << "nothing changed";
  EXPECT_EQ(mmap(e, kHole - kPage, 2 * kPage, prot::kRwx, true), err::kAccess) << "a heap page is RW";
  EXPECT_EQ(e.vma_starts, (std::set<uint64_t>{kHeap, kHole + kPage}));
  EXPECT_EQ(e.vma_prot.count(kHole - kPage) + e.vma_prot.count(kHole), 0u) << "a gap";
  EXPECT_EQ(mmap(e, e.size - kPage, 2 * kPage, prot::kR, true), err::kAccess) << "past ELRANGE";
  EXPECT_EQ(e.vma_prot.count(e.size - kPage), 0u);
  EXPECT_EQ(mmap(e, kHole - kPage, 2 * kPage, prot::kR, true), 0);
  EXPECT_EQ(e.vma_starts, (std::set<uint64_t>{kHeap, kHole - kPage, kHole + kPage}));
  EXPECT_EQ(e.vma_prot.at(kHole), prot::kR);
}

TEST(UapiModel, AnAccessWhereNoVmaMapsIsSigsegvWithNoPte) {
  Enclave e = small();
  EXPECT_EQ(enter(e, kTcsAt, {EnclaveOp::Kind::kLoad, kHeap, 0}), exited(0));
  EXPECT_EQ(munmap(e, kHeap, kPage), 0);
  const OpOutcome r = enter(e, kTcsAt + kPage, {EnclaveOp::Kind::kLoad, kHeap, 0});
  EXPECT_EQ(r, page_fault(kBase + kHeap, pfec::kU)) << "munmap zapped the PTE";
}

TEST(UapiModel, AnAccessItsMappingForbidsIsSigsegvAndItsPBitIsEitherWhereAPteMayBe) {
  Enclave e = small();
  EXPECT_EQ(mprotect(e, kHeap, kPage, prot::kR), 0);
  const OpOutcome w = enter(e, kTcsAt, {EnclaveOp::Kind::kStore, kHeap, 1});
  EXPECT_EQ(w.error_code, pfec::kU | pfec::kW);
  EXPECT_TRUE(w.either_present) << "the page may have been mapped before";
  OpOutcome with_pte = w;
  with_pte.either_present = false;
  with_pte.error_code |= pfec::kP;
  EXPECT_TRUE(allows(w, with_pte));
  with_pte.error_code |= pfec::kSgx;
  EXPECT_FALSE(allows(w, with_pte));

  EXPECT_EQ(mprotect(e, kHole, kPage, prot::kR), 0);
  EXPECT_EQ(enter(e, kTcsAt + kPage, {EnclaveOp::Kind::kStore, kHole, 1}),
            page_fault(kBase + kHole, pfec::kU | pfec::kW))
      << "a hole has no PTE, and SIGSEGV comes before the driver: no EAUG";
  EXPECT_EQ(e.pages.count(kHole), 0u);
  EXPECT_EQ(mprotect(e, kHeap + kPage, kPage, 0), 0);
  EXPECT_EQ(enter(e, kTcsAt + 2 * kPage, {EnclaveOp::Kind::kLoad, kHeap + kPage, 0}),
            page_fault(kBase + kHeap + kPage, pfec::kU))
      << "PROT_NONE takes the PTEs away";
}

// A plan of a TCS (source 0) and one REG page (source 1), both measured.
BuildPlan two_page_plan() {
  BuildPlan plan;
  plan.size = 4 * kPage;
  std::vector<uint8_t> tcs(kPage);
  tcs[28] = 1;  // NSSA
  std::vector<uint8_t> reg(kPage, 0xAB);
  plan.sources = {tcs, reg};
  plan.signed_for = {{0, secinfo::type(pt::kTcs), 0, true},
                     {kPage, secinfo::type(pt::kReg) | prot::kRw, 1, true}};
  return plan;
}

AddArgs add(uint64_t source, uint64_t offset, uint64_t flags, bool measure = true) {
  AddArgs a;
  a.source = source;
  a.offset = offset;
  a.length = kPage;
  a.flags = flags;
  a.measure = measure;
  return a;
}

TEST(UapiModel, TheBuildGoesCreateAddInitAndEachStepOnlyOnce) {
  const BuildPlan plan = two_page_plan();
  Build b;
  EXPECT_EQ(add_pages(b, plan, add(0, 0, secinfo::type(pt::kTcs))).ret, err::kInval);
  EXPECT_EQ(init(b, plan, {}), err::kInval) << "not created";
  EXPECT_EQ(create(b, SecsKind::kSizeNotPowerOfTwo), err::kInval);
  EXPECT_EQ(create(b, SecsKind::kBaseMisaligned), build_err::kIo) << "ECREATE refuses it";
  EXPECT_EQ(create(b, SecsKind::kSigned), 0);
  EXPECT_EQ(create(b, SecsKind::kSigned), err::kInval);
  EXPECT_EQ(add_pages(b, plan, add(0, 0, secinfo::type(pt::kTcs))), (IoctlOutcome{0, 0, kPage}));
  EXPECT_EQ(add_pages(b, plan, add(1, kPage, secinfo::type(pt::kReg) | prot::kRw)).ret, 0);
  EXPECT_EQ(init(b, plan, {}), 0);
  EXPECT_EQ(init(b, plan, {}), err::kInval);
  EXPECT_EQ(add_pages(b, plan, add(1, 2 * kPage, secinfo::type(pt::kReg) | prot::kRw)).ret,
            err::kInval);
  EXPECT_EQ(b.pages.at(0).max_prot, prot::kRw) << "a TCS is mappable RW";
  EXPECT_EQ(b.pages.at(0).rights, 0);
}

TEST(UapiModel, InitSucceedsOnlyForTheBuildItsSigstructWasSignedFor) {
  const BuildPlan plan = two_page_plan();
  for (const bool measure : {true, false}) {
    Build b;
    EXPECT_EQ(create(b, SecsKind::kSigned), 0);
    EXPECT_EQ(add_pages(b, plan, add(0, 0, secinfo::type(pt::kTcs))).ret, 0);
    EXPECT_EQ(add_pages(b, plan, add(1, kPage, secinfo::type(pt::kReg) | prot::kRw, measure)).ret,
              0);
    EXPECT_EQ(init(b, plan, {}), measure ? 0 : err::kPerm) << "measured " << measure;
  }
}

TEST(UapiModel, AddPagesRefusesAnAddedOffsetBeforeItsSourceAndABadTcsAfter) {
  const BuildPlan plan = two_page_plan();
  Build b;
  EXPECT_EQ(create(b, SecsKind::kSigned), 0);
  EXPECT_EQ(add_pages(b, plan, add(1, 0, secinfo::type(pt::kReg) | prot::kR)).ret, 0);
  AddArgs again = add(1, 0, secinfo::type(pt::kReg) | prot::kR);
  again.src_unmapped = true;
  EXPECT_EQ(add_pages(b, plan, again).ret, build_err::kBusy) << "xa_insert comes first";
  EXPECT_EQ(add_pages(b, plan, add(1, kPage, secinfo::type(pt::kTcs))).ret, build_err::kIo)
      << "EADD refuses a TCS with reserved bytes set";
  AddArgs two = add(0, 2 * kPage, secinfo::type(pt::kTcs));
  two.length = 2 * kPage;
  EXPECT_EQ(add_pages(b, plan, two), (IoctlOutcome{build_err::kIo, 0, kPage}))
      << "the TCS is added, the REG bytes as a TCS are not";
  for (const uint64_t flags :
       {secinfo::type(pt::kReg) | prot::kW, secinfo::type(pt::kTcs) | prot::kR,
        secinfo::type(pt::kReg) | prot::kR | secinfo::kPending, secinfo::type(pt::kTrim)}) {
    EXPECT_EQ(add_pages(b, plan, add(1, 3 * kPage, flags)).ret, err::kInval) << flags;
  }
}

TEST(UapiModel, ProvisionKeyNeedsProvisionAfterCreateAndASigstructSignedForIt) {
  const BuildPlan plan = two_page_plan();
  Build b;
  EXPECT_EQ(provision(b, false, true), 0) << "no state check";
  EXPECT_EQ(create(b, SecsKind::kProvisionKey), 0);
  EXPECT_FALSE(b.provisioned) << "CREATE starts the attribute mask afresh";
  EXPECT_EQ(add_pages(b, plan, add(0, 0, secinfo::type(pt::kTcs))).ret, 0);
  EXPECT_EQ(add_pages(b, plan, add(1, kPage, secinfo::type(pt::kReg) | prot::kRw)).ret, 0);
  EXPECT_EQ(init(b, plan, {.provision_key = true}), err::kAccess);
  EXPECT_EQ(provision(b, false, false), err::kInval) << "not /dev/sgx_provision";
  EXPECT_EQ(provision(b, false, true), 0);
  EXPECT_EQ(init(b, plan, {.bad_vendor = true, .provision_key = true}), err::kInval);
  EXPECT_EQ(init(b, plan, {}), err::kPerm) << "signed without PROVISIONKEY";
  EXPECT_EQ(init(b, plan, {.provision_key = true}), 0);
}

// Linux's sgx_encl_init: PROVISIONKEY without /dev/sgx_provision first (-EACCES), then a
// reserved bit the SIGSTRUCT asks for in any of its three masked fields (-EINVAL), and
// only then EINIT.
TEST(UapiModel, InitRefusesAReservedBitAskedForAfterTheProvisionCheck) {
  const BuildPlan plan = two_page_plan();
  Build b;
  EXPECT_EQ(create(b, SecsKind::kProvisionKey), 0);
  EXPECT_EQ(add_pages(b, plan, add(0, 0, secinfo::type(pt::kTcs))).ret, 0);
  EXPECT_EQ(add_pages(b, plan, add(1, kPage, secinfo::type(pt::kReg) | prot::kRw)).ret, 0);
  EXPECT_EQ(init(b, plan, {.provision_key = true, .reserved = ReservedAsked::kXfrm}),
            err::kAccess);
  EXPECT_EQ(provision(b, false, true), 0);
  for (const ReservedAsked r :
       {ReservedAsked::kAttributes, ReservedAsked::kMiscselect, ReservedAsked::kXfrm}) {
    EXPECT_EQ(init(b, plan, {.provision_key = true, .reserved = r}), err::kInval);
  }
  EXPECT_FALSE(b.initialized);
  EXPECT_EQ(init(b, plan, {.provision_key = true}), 0);
}

}  // namespace
}  // namespace sgxref::model::uapi
