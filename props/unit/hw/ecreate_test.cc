// ECREATE: SDM vol. 3D "ECREATE—Create an SECS page in the Enclave Page Cache".
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstring>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "hw/secs_private.h"
#include "hw/ssa_frame.h"
#include "testlib/enclave_builder.h"
#include "testlib/kernel_memory.h"
#include "testlib/mrenclave_blocks.h"
#include "testlib/small_config.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {
namespace {

using testlib::KernelMemory;
using testlib::ecreate_block;
namespace attr = uapi::attr;
namespace sf = uapi::secinfo_flag;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x10000;

// The operands of one ECREATE, valid until a test spoils one of them.
class Ecreate : public ::testing::Test {
 protected:
  explicit Ecreate(const Config& cfg = testlib::small_config()) : m(cfg), mem(m) {}

  Result run() {
    src = mem.put(secs) + src_offset;
    uapi::SecInfo si{};
    si.flags = secinfo_flags;
    std::memcpy(si.reserved, secinfo_reserved.data(), sizeof si.reserved);
    const PAddr sip = mem.put(si, secinfo_offset);
    const uapi::PageInfo pi{.linaddr = linaddr, .srcpge = src, .secinfo = sip, .secs = pi_secs};
    pageinfo = mem.put(pi, pageinfo_offset);
    return m.cpu(0).ecreate(pageinfo, target);
  }

  // Runs ECREATE, expects `refusal`, and checks that nothing changed.
  void expect_refused(const Result& refusal) {
    const Snapshot before = Inspector(m).snapshot();
    EXPECT_EQ(run(), refusal);
    EXPECT_EQ(Inspector(m).snapshot(), before);
  }

  Machine m;
  KernelMemory mem;
  uapi::Secs secs = testlib::make_secs(kBase, kSize);
  uint64_t secinfo_flags = sf::type(PageType::kSecs);
  std::array<uint8_t, 56> secinfo_reserved{};
  uint64_t linaddr = 0;
  uint64_t pi_secs = 0;
  uint64_t pageinfo_offset = 0;
  uint64_t secinfo_offset = 0;
  uint64_t src_offset = 0;
  PAddr target = m.epc_addr(1);
  PAddr src = 0;
  PAddr pageinfo = 0;
};

TEST_F(Ecreate, CreatesUninitializedSecsAndStartsMeasurement) {
  secs.attributes |= attr::kProvisionKey;
  secs.miscselect = uapi::miscselect::kExInfo;
  ASSERT_EQ(run(), Result::ok());

  const EpcmEntry e = Inspector(m).epcm(1);
  EXPECT_EQ(e, (EpcmEntry{.valid = true, .type = PageType::kSecs}));
  const SecsView v = Inspector(m).secs(1);
  EXPECT_EQ(v.base, kBase);
  EXPECT_EQ(v.size, kSize);
  EXPECT_EQ(v.ssa_frame_size, 1u);
  EXPECT_EQ(v.miscselect, uapi::miscselect::kExInfo);
  EXPECT_EQ(v.attributes, attr::kDebug | attr::kMode64Bit | attr::kProvisionKey);
  EXPECT_EQ(v.xfrm, 0x3u);
  EXPECT_FALSE(v.initialized);
  EXPECT_EQ(v.eid, 1u);
  const auto block = ecreate_block(1, kSize);
  EXPECT_EQ(v.mrenclave, Sha256::of(block.data(), block.size()));
  EXPECT_EQ(Inspector(m).snapshot().next_eid, 2u);
  EXPECT_EQ(Inspector(m).snapshot().measurements.count(1), 1u);
}

TEST_F(Ecreate, InitAttributeInSourceIsCleared) {
  secs.attributes |= attr::kInit;
  ASSERT_EQ(run(), Result::ok());
  EXPECT_EQ(Inspector(m).secs(1).attributes, attr::kDebug | attr::kMode64Bit);
  EXPECT_FALSE(Inspector(m).secs(1).initialized);
}

TEST_F(Ecreate, IsvIdentityAndMrenclaveFieldAreCleared) {
  secs.isv_prod_id = 7;
  secs.isv_svn = 9;
  std::memset(secs.mrenclave, 0xAB, sizeof secs.mrenclave);
  ASSERT_EQ(run(), Result::ok());
  const uapi::Secs stored = load_secs(Inspector(m).page(1));
  EXPECT_EQ(stored.isv_prod_id, 0);
  EXPECT_EQ(stored.isv_svn, 0);
  const uint8_t zeros[32] = {};
  EXPECT_EQ(std::memcmp(stored.mrenclave, zeros, sizeof zeros), 0);
}

TEST_F(Ecreate, EnclaveIdsAreTakenInOrder) {
  ASSERT_EQ(run(), Result::ok());
  target = m.epc_addr(2);
  ASSERT_EQ(run(), Result::ok());
  EXPECT_EQ(Inspector(m).secs(1).eid, 1u);
  EXPECT_EQ(Inspector(m).secs(2).eid, 2u);
}

TEST_F(Ecreate, Creates32BitEnclaveBelowFourGib) {
  secs.attributes = attr::kDebug;
  secs.base = 0x8000'0000;
  secs.size = 0x4000'0000;
  EXPECT_EQ(run(), Result::ok());
}

TEST_F(Ecreate, AcceptsConfigIdWithKss) {
  secs.attributes |= attr::kKss;
  secs.config_id[0] = 1;
  secs.config_svn = 2;
  EXPECT_EQ(run(), Result::ok());
}

TEST_F(Ecreate, MisalignedPageinfoIsGp) {
  pageinfo_offset = 16;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, MisalignedTargetIsGp) {
  target += 64;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, NonEpcTargetIsPf) {
  target = mem.frame();
  expect_refused(Result::pf(target, 0));
}

TEST_F(Ecreate, UnmappedPageinfoIsPf) {
  const Snapshot before = Inspector(m).snapshot();
  const PAddr nowhere = kRamBase + (uint64_t{m.config().ram_pages} << kPageShift);
  EXPECT_EQ(m.cpu(0).ecreate(nowhere, target), Result::pf(nowhere, 0));
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST_F(Ecreate, MisalignedSourceIsGp) {
  src_offset = 64;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, MisalignedSecinfoIsGp) {
  secinfo_offset = 32;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, NonzeroPageinfoLinaddrIsGp) {
  linaddr = kBase;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, NonzeroPageinfoSecsIsGp) {
  pi_secs = m.epc_addr(0);
  expect_refused(Result::gp());
}

TEST_F(Ecreate, UnmappedSecinfoIsPf) {
  const PAddr nowhere = kRamBase + (uint64_t{m.config().ram_pages} << kPageShift);
  const uapi::PageInfo pi{.linaddr = 0, .srcpge = mem.put(secs), .secinfo = nowhere, .secs = 0};
  const PAddr pip = mem.put(pi);
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(m.cpu(0).ecreate(pip, target), Result::pf(nowhere, 0));
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST_F(Ecreate, SecinfoReservedFlagIsGp) {
  secinfo_flags |= 1ull << 6;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, SecinfoReservedBytesAreGp) {
  secinfo_reserved[55] = 1;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, SecinfoTypeOtherThanSecsIsGp) {
  secinfo_flags = sf::type(PageType::kReg) | sf::kR;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, ValidTargetIsPfBeforeSecsChecks) {
  ASSERT_EQ(run(), Result::ok());
  secs.size = 0x3000;
  expect_refused(Result::epcm_pf(target));
}

TEST_F(Ecreate, UnmappedSourceIsPf) {
  const PAddr nowhere = kRamBase + (uint64_t{m.config().ram_pages} << kPageShift);
  uapi::SecInfo si{};
  si.flags = secinfo_flags;
  const uapi::PageInfo pi{.linaddr = 0, .srcpge = nowhere, .secinfo = mem.put(si), .secs = 0};
  const PAddr pip = mem.put(pi);
  const Snapshot before = Inspector(m).snapshot();
  EXPECT_EQ(m.cpu(0).ecreate(pip, target), Result::pf(nowhere, 0));
  EXPECT_EQ(Inspector(m).snapshot(), before);
}

TEST_F(Ecreate, XfrmWithoutX87AndSseIsGp) {
  secs.xfrm = 0x1;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, XfrmWithUnsupportedComponentIsGp) {
  secs.xfrm = 0x3 | (1u << 9);  // PKRU: not in Config::xfrm_supported
  expect_refused(Result::gp());
}

TEST_F(Ecreate, UnsupportedMiscselectIsGp) {
  secs.miscselect = 1u << 1;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, MiscselectZeroIsAccepted) {
  secs.miscselect = 0;
  EXPECT_EQ(run(), Result::ok());
}

TEST_F(Ecreate, SsaFrameTooSmallIsGp) {
  secs.ssa_frame_size = 0;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, NonCanonicalBaseIn64BitModeIsGp) {
  secs.base = 0x0000'8000'0000'0000ull;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, BaseAboveFourGibIn32BitModeIsGp) {
  secs.attributes = attr::kDebug;
  secs.base = 0x1'0000'0000ull;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, SizeAtThe32BitLimitIsGp) {
  secs.attributes = attr::kDebug;
  secs.base = 0;
  secs.size = 1ull << 31;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, SizeAtThe64BitLimitIsGp) {
  secs.base = 0;
  secs.size = 1ull << 36;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, SizeBelowTwoPagesIsGp) {
  secs.size = kPageSize;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, SizeNotPowerOfTwoIsGp) {
  secs.size = 3 * kPageSize;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, BaseNotAlignedOnSizeIsGp) {
  secs.base = kBase + kSize / 2;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, ReservedAttributeIsGp) {
  secs.attributes |= 1ull << 3;
  expect_refused(Result::gp());
}

class EcreateWithoutProvisionKey : public Ecreate {
 protected:
  static Config cfg() {
    Config c = testlib::small_config();
    c.attributes_supported &= ~attr::kProvisionKey;
    return c;
  }
  EcreateWithoutProvisionKey() : Ecreate(cfg()) {}
};

TEST_F(EcreateWithoutProvisionKey, AttributeOutsideSupportedMaskIsGp) {
  secs.attributes |= attr::kProvisionKey;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, NonzeroReservedFieldIsGp) {
  for (size_t offset : {offsetof(uapi::Secs, reserved1), offsetof(uapi::Secs, reserved2) + 31,
                        offsetof(uapi::Secs, reserved3), offsetof(uapi::Secs, reserved4),
                        sizeof(uapi::Secs) - 1}) {
    SCOPED_TRACE(offset);
    secs = testlib::make_secs(kBase, kSize);
    reinterpret_cast<uint8_t*>(&secs)[offset] = 1;
    expect_refused(Result::gp());
  }
}

TEST_F(Ecreate, NonzeroHardwarePrivateAreaIsGp) {
  store_secs_private(reinterpret_cast<uint8_t*>(&secs), SecsPrivate{.eid = 5});
  expect_refused(Result::gp());
}

TEST_F(Ecreate, ConfigIdWithoutKssIsGp) {
  secs.config_id[63] = 1;
  expect_refused(Result::gp());
}

TEST_F(Ecreate, ConfigSvnWithoutKssIsGp) {
  secs.config_svn = 1;
  expect_refused(Result::gp());
}

TEST(SsaFrame, LegacyAreaAndHeaderForX87AndSse) { EXPECT_EQ(xsave_size(0x3), 576u); }

TEST(SsaFrame, AvxAddsItsUpperHalves) { EXPECT_EQ(xsave_size(0x7), 832u); }

TEST(SsaFrame, FrameHoldsXsaveGprAndExinfo) {
  EXPECT_EQ(ssa_frame_bytes(0x3, 0), 576u + 184u);
  EXPECT_EQ(ssa_frame_bytes(0x7, uapi::miscselect::kExInfo), 832u + 184u + 16u);
}

}  // namespace
}  // namespace sgxref::hw
