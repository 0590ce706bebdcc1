// EPA: SDM vol. 3D "EPA—Add Version Array".
#include <gtest/gtest.h>

#include <cstring>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/internals.h"
#include "hw/machine.h"
#include "testlib/small_config.h"

namespace sgxref::hw {
namespace {

TEST(Epa, CreatesZeroedVaPage) {
  Machine m(testlib::small_config());
  std::memset(Internals::of(m).page(3), 0xAB, kPageSize);
  ASSERT_EQ(m.cpu(0).epa(uint64_t(PageType::kVa), m.epc_addr(3)), Result::ok());
  const EpcmEntry e = Inspector(m).epcm(3);
  EXPECT_TRUE(e.valid);
  EXPECT_EQ(e.type, PageType::kVa);
  EXPECT_FALSE(e.r || e.w || e.x || e.blocked || e.pending || e.modified || e.pr);
  EXPECT_EQ(e.enclave_address, 0u);
  for (uint64_t i = 0; i < kPageSize; ++i) ASSERT_EQ(Inspector(m).page(3)[i], 0) << i;
}

TEST(Epa, RbxOtherThanPtVaIsGp) {
  Machine m(testlib::small_config());
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(m.cpu(0).epa(uint64_t(PageType::kReg), m.epc_addr(0)), Result::gp());
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST(Epa, MisalignedPageIsGp) {
  Machine m(testlib::small_config());
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(m.cpu(0).epa(uint64_t(PageType::kVa), m.epc_addr(0) + 8), Result::gp());
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST(Epa, NonEpcPageIsPf) {
  Machine m(testlib::small_config());
  const PAddr ram = m.ram().alloc();
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(m.cpu(0).epa(uint64_t(PageType::kVa), ram), Result::pf(ram, 0));
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST(Epa, ValidPageIsPf) {
  Machine m(testlib::small_config());
  ASSERT_TRUE(m.cpu(0).epa(uint64_t(PageType::kVa), m.epc_addr(1)).succeeded());
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(m.cpu(0).epa(uint64_t(PageType::kVa), m.epc_addr(1)), Result::epcm_pf(m.epc_addr(1)));
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST(Epa, InEnclaveModeIsUd) {
  // ENCLS from enclave mode is covered once EENTER exists; counters see each call now.
  Machine m(testlib::small_config());
  (void)m.cpu(0).epa(uint64_t(PageType::kVa), m.epc_addr(0));
  EXPECT_EQ(Inspector(m).counters().calls[int(Leaf::kEpa)], 1u);
  EXPECT_EQ(Inspector(m).counters().epc_valid, 1u);
}

}  // namespace
}  // namespace sgxref::hw
