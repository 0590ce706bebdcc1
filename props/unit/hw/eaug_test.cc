// EAUG: SDM vol. 3D "EAUG—Add a Page to an Initialized Enclave". The enclave is
// testlib::TestEnclave; conflicts with other leaves are in sgx2_overlap_test.cc and
// EACCEPT of the new page in eaccept_test.cc.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/internals.h"
#include "hw/machine.h"
#include "testlib/enclave_builder.h"
#include "testlib/kernel_memory.h"
#include "testlib/sgx2_fixture.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

class Eaug : public testlib::Sgx2Fixture {
 protected:
  static constexpr uint32_t kOtherSecs = 25;  // a second enclave, never initialized

  // EAUG on the kernel CPU with a PAGEINFO the test writes, at `pageinfo` if given.
  Result eaug_with(const uapi::PageInfo& pi, PAddr epc, PAddr pageinfo = 0) {
    if (pageinfo == 0) pageinfo = mem().frame();
    mem().write(pageinfo, &pi, sizeof pi);
    return cpu(kKernel).eaug(pageinfo, epc);
  }
  uapi::PageInfo good() {
    return {.linaddr = la(kAug), .srcpge = 0, .secinfo = 0, .secs = enclave().secs_addr()};
  }
  PAddr target() { return m().epc_addr(slot(kAug)); }

  void expect_refused(const uapi::PageInfo& pi, PAddr epc, const Result& refusal,
                      PAddr pageinfo = 0) {
    const Snapshot before = Inspector(m()).snapshot();
    EXPECT_EQ(eaug_with(pi, epc, pageinfo), refusal);
    EXPECT_EQ(Inspector(m()).snapshot(), before);
  }
};

TEST_F(Eaug, AddsZeroedPendingRwRegPage) {
  std::memset(Internals::of(m()).page(slot(kAug)), 0xAB, kPageSize);
  const Snapshot before = Inspector(m()).snapshot();
  const SecsView secs = Inspector(m()).secs(enclave().secs_slot());
  ASSERT_EQ(eaug_with(good(), target()), Result::ok());

  const EpcmEntry want{.valid = true,
                       .r = true,
                       .w = true,
                       .type = PageType::kReg,
                       .pending = true,
                       .secs = enclave().secs_slot(),
                       .enclave_address = la(kAug)};
  Snapshot after = Inspector(m()).snapshot();
  EXPECT_EQ(after.epcm[slot(kAug)], want) << "unstamped, not blocked, MODIFIED=PR=0, X=0";
  for (uint64_t i = 0; i < kPageSize; ++i) ASSERT_EQ(Inspector(m()).page(slot(kAug))[i], 0) << i;
  after.epcm[slot(kAug)] = before.epcm[slot(kAug)];
  after.page_digest[slot(kAug)] = before.page_digest[slot(kAug)];
  EXPECT_EQ(after, before);
  EXPECT_EQ(Inspector(m()).secs(enclave().secs_slot()), secs) << "EAUG does not measure";
}

TEST_F(Eaug, LastPageOfElrangeIsAccepted) {
  uapi::PageInfo pi = good();
  pi.linaddr = la(TestEnclave::kSize - kPageSize);
  ASSERT_EQ(eaug_with(pi, target()), Result::ok());
  EXPECT_EQ(Inspector(m()).epcm(slot(kAug)).enclave_address, pi.linaddr);
}

TEST_F(Eaug, MisalignedPageinfoIsGp) {
  expect_refused(good(), target(), Result::gp(), mem().frame() + 16);
}

TEST_F(Eaug, MisalignedEpcPageIsGp) { expect_refused(good(), target() + 64, Result::gp()); }

TEST_F(Eaug, NonEpcPageIsPf) {
  const PAddr ram = mem().frame();
  expect_refused(good(), ram, Result::pf(ram, 0));
}

TEST_F(Eaug, UnmappedPageinfoIsPf) {
  const Snapshot before = Inspector(m()).snapshot();
  EXPECT_EQ(cpu(kKernel).eaug(0x1000, target()), Result::pf(0x1000, 0));
  EXPECT_EQ(Inspector(m()).snapshot(), before);
}

TEST_F(Eaug, MisalignedSecinfoIsGp) {
  uapi::PageInfo pi = good();
  pi.secinfo = mem().frame() + 32;
  expect_refused(pi, target(), Result::gp());
}

TEST_F(Eaug, MisalignedSecsIsGp) {
  uapi::PageInfo pi = good();
  pi.secs += 64;
  expect_refused(pi, target(), Result::gp());
}

TEST_F(Eaug, MisalignedLinaddrIsGp) {
  uapi::PageInfo pi = good();
  pi.linaddr += 8;
  expect_refused(pi, target(), Result::gp());
}

TEST_F(Eaug, NonzeroSrcpgeIsGp) {
  uapi::PageInfo pi = good();
  pi.srcpge = mem().frame();
  expect_refused(pi, target(), Result::gp());
}

TEST_F(Eaug, NonEpcSecsIsPf) {
  uapi::PageInfo pi = good();
  pi.secs = mem().frame();
  expect_refused(pi, target(), Result::pf(pi.secs, 0));
}

TEST_F(Eaug, ValidPageIsPf) {
  const PAddr data = m().epc_addr(slot(TestEnclave::kData));
  expect_refused(good(), data, Result::epcm_pf(data));
}

TEST_F(Eaug, NonzeroSecinfoIsGp) {
  // Only CET's shadow-stack types may be asked for by SECINFO; this CPU has no CET.
  uapi::SecInfo si{};
  si.flags = kReg | kR | kW;
  uapi::PageInfo pi = good();
  pi.secinfo = mem().put(si);
  expect_refused(pi, target(), Result::gp());
}

TEST_F(Eaug, ValidPageIsPfBeforeSecinfoIsRead) {
  uapi::PageInfo pi = good();
  pi.secinfo = 0x40;  // nonzero, aligned, not memory
  const PAddr data = m().epc_addr(slot(TestEnclave::kData));
  expect_refused(pi, data, Result::epcm_pf(data));
}

TEST_F(Eaug, UnmappedSecinfoIsPf) {
  uapi::PageInfo pi = good();
  pi.secinfo = 0x40;
  expect_refused(pi, target(), Result::pf(0x40, 0));
}

TEST_F(Eaug, FreeSecsSlotIsPf) {
  uapi::PageInfo pi = good();
  pi.secs = m().epc_addr(kOtherSecs);
  expect_refused(pi, target(), Result::epcm_pf(pi.secs));
}

TEST_F(Eaug, SecsThatIsARegPageIsPf) {
  uapi::PageInfo pi = good();
  pi.secs = m().epc_addr(slot(TestEnclave::kData));
  expect_refused(pi, target(), Result::epcm_pf(pi.secs));
}

TEST_F(Eaug, UninitializedEnclaveIsGp) {
  constexpr uint64_t kOtherBase = 0x8000'0000;
  testlib::EnclaveBuilder other(m(), kOtherSecs, kKernel);
  ASSERT_EQ(other.create(testlib::make_secs(kOtherBase, TestEnclave::kSize)), Result::ok());
  uapi::PageInfo pi = good();
  pi.secs = m().epc_addr(kOtherSecs);
  pi.linaddr = kOtherBase;
  expect_refused(pi, target(), Result::gp());
}

TEST_F(Eaug, LinaddrBelowElrangeIsGp) {
  uapi::PageInfo pi = good();
  pi.linaddr = enclave().base() - kPageSize;
  expect_refused(pi, target(), Result::gp());
}

TEST_F(Eaug, LinaddrAtEndOfElrangeIsGp) {
  uapi::PageInfo pi = good();
  pi.linaddr = la(TestEnclave::kSize);
  expect_refused(pi, target(), Result::gp());
}

TEST_F(Eaug, InEnclaveModeIsUdDeliveredByAex) {
  ASSERT_EQ(eenter(), Result::ok());
  testlib::Sgx2Ops inside(m(), 0);
  EXPECT_EQ(inside.eaug(enclave().secs_slot(), slot(kAug), la(kAug)), Result::ud());
  EXPECT_FALSE(cpu().in_enclave_mode());
  EXPECT_FALSE(Inspector(m()).epcm(slot(kAug)).valid);
}

}  // namespace
}  // namespace sgxref::hw
