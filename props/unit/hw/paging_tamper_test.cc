// Anti-replay and integrity of evicted pages (DESIGN.md H4; SDM vol. 3D "EWB", "ELDB/
// ELDU"): a blob reloads only with the version its VA slot holds, at the address and
// into the enclave it was evicted from, with the metadata EWB wrote. Every other blob
// is SGX_MAC_COMPARE_FAIL, with the target left invalid and the slot unchanged.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/enclave_builder.h"
#include "testlib/pager.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {
namespace {

using testlib::Blob;
using testlib::EnclaveBuilder;
using testlib::Pager;
namespace sf = uapi::secinfo_flag;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x10000;
constexpr uint64_t kRegFlags = sf::type(PageType::kReg) | sf::kR | sf::kW;
constexpr uint32_t kSecs = 0;
constexpr uint32_t kReg = 1;    // at kBase + 0x1000, evicted in SetUp
constexpr uint32_t kReg2 = 2;   // at kBase + 0x2000
constexpr uint32_t kOtherSecs = 3;  // another enclave over the same range
constexpr uint32_t kOtherReg = 4;   // its page at kBase + 0x1000
constexpr uint32_t kVa = 5;
constexpr uint32_t kVa2 = 6;
constexpr uint32_t kTarget = 7;
constexpr uint32_t kTarget2 = 8;

Config small(uint64_t seed = Config{}.seed) {
  Config c;
  c.epc_pages = 12;
  c.ram_pages = 64;
  c.seed = seed;
  return c;
}

// Two enclaves over the same linear range, each with a page at kBase + 0x1000; the
// first enclave's page evicted into slot 0 of the VA page in slot 5.
class PagingTamper : public ::testing::Test {
 protected:
  explicit PagingTamper(uint64_t seed = Config{}.seed)
      : m(small(seed)), builder(m, kSecs), other(m, kOtherSecs), pager(m) {
    for (size_t i = 0; i < page.size(); ++i) page[i] = uint8_t(i * 31 + 1);
  }

  void SetUp() override {
    ASSERT_EQ(builder.create(testlib::make_secs(kBase, kSize)), Result::ok());
    ASSERT_EQ(builder.add(kReg, kBase + 0x1000, page.data(), kRegFlags), Result::ok());
    ASSERT_EQ(builder.add(kReg2, kBase + 0x2000, page.data(), kRegFlags), Result::ok());
    ASSERT_EQ(other.create(testlib::make_secs(kBase, kSize)), Result::ok());
    ASSERT_EQ(other.add(kOtherReg, kBase + 0x1000, page.data(), kRegFlags), Result::ok());
    ASSERT_EQ(pager.epa(kVa), Result::ok());
    ASSERT_EQ(pager.epa(kVa2), Result::ok());
    ASSERT_EQ(pager.evict(kReg, pager.va_slot(kVa, 0), blob), Result::ok());
  }

  // `b` does not reload: MAC failure, target still invalid, its VA slot and everything
  // else unchanged.
  void expect_mac_failure(const Blob& b, uint32_t target = kTarget) {
    const Snapshot before = Inspector(m).snapshot();
    const uint64_t failures = Inspector(m).counters().mac_failures;
    EXPECT_EQ(pager.eldu(b, target), Result::error(SgxCode::kMacCompareFail));
    EXPECT_EQ(Inspector(m).snapshot(), before);
    EXPECT_FALSE(Inspector(m).epcm(target).valid);
    EXPECT_EQ(Inspector(m).counters().mac_failures, failures + 1);
  }

  Machine m;
  EnclaveBuilder builder;
  EnclaveBuilder other;
  Pager pager;
  std::array<uint8_t, kPageSize> page{};
  Blob blob;
};

TEST_F(PagingTamper, GenuineBlobReloads) {
  ASSERT_EQ(pager.eldu(blob, kTarget), Result::ok());
  EXPECT_EQ(std::memcmp(Inspector(m).page(kTarget), page.data(), kPageSize), 0);
}

TEST_F(PagingTamper, OlderBlobIsMacCompareFail) {
  ASSERT_EQ(pager.eldu(blob, kTarget), Result::ok());
  Blob newer;
  ASSERT_EQ(pager.evict(kTarget, blob.va_slot, newer), Result::ok());
  expect_mac_failure(blob);
  EXPECT_EQ(pager.eldu(newer, kTarget), Result::ok());
}

TEST_F(PagingTamper, SameBlobTwiceIsMacCompareFail) {
  ASSERT_EQ(pager.eldu(blob, kTarget), Result::ok());
  expect_mac_failure(blob, kTarget2);
}

TEST_F(PagingTamper, CiphertextIsMacCompareFail) {
  blob.page[4095] ^= 0x80;
  expect_mac_failure(blob);
}

TEST_F(PagingTamper, MacIsMacCompareFail) {
  blob.pcmd.mac[0] ^= 1;
  expect_mac_failure(blob);
}

TEST_F(PagingTamper, PcmdPermissionsAreMacCompareFail) {
  blob.pcmd.secinfo.flags |= sf::kX;
  expect_mac_failure(blob);
}

TEST_F(PagingTamper, PcmdPageTypeIsMacCompareFail) {
  blob.pcmd.secinfo.flags = sf::type(PageType::kTcs);
  expect_mac_failure(blob);
}

TEST_F(PagingTamper, PcmdPendingModifiedOrPrIsMacCompareFail) {
  for (uint64_t flag : {sf::kPending, sf::kModified, sf::kPr}) {
    Blob b = blob;
    b.pcmd.secinfo.flags |= flag;
    expect_mac_failure(b);
  }
}

TEST_F(PagingTamper, PcmdSecinfoReservedIsMacCompareFail) {
  blob.pcmd.secinfo.reserved[55] = 1;
  expect_mac_failure(blob);
}

TEST_F(PagingTamper, PcmdReservedIsMacCompareFail) {
  blob.pcmd.reserved[0] = 1;
  expect_mac_failure(blob);
}

TEST_F(PagingTamper, PcmdEnclaveIdIsNotBound) {
  // ENCLAVEID is a handle for software; the MAC binds the SECS's EID instead.
  blob.pcmd.enclave_id ^= 0xFF;
  EXPECT_EQ(pager.eldu(blob, kTarget), Result::ok());
}

TEST_F(PagingTamper, OtherLinaddrIsMacCompareFail) {
  blob.linaddr = kBase + 0x3000;
  expect_mac_failure(blob);
}

TEST_F(PagingTamper, OtherEnclaveIsMacCompareFail) {
  // Same range, same address, same contents: only the enclave differs.
  blob.secs = m.epc_addr(kOtherSecs);
  expect_mac_failure(blob);
}

TEST_F(PagingTamper, OtherVaSlotIsMacCompareFail) {
  Blob second;
  ASSERT_EQ(pager.evict(kReg2, pager.va_slot(kVa, 1), second), Result::ok());
  blob.va_slot = second.va_slot;
  expect_mac_failure(blob);
}

TEST_F(PagingTamper, OccupiedSlotMakesPreviousPageUnrecoverable) {
  Blob second;
  ASSERT_EQ(pager.eblock(kReg2), Result::ok());
  ASSERT_EQ(pager.etrack(kSecs), Result::ok());
  EXPECT_EQ(pager.ewb(kReg2, blob.va_slot, second),
            Result::error(SgxCode::kVaSlotOccupied, true));
  expect_mac_failure(blob);
  EXPECT_EQ(pager.eldu(second, kTarget), Result::ok());
}

TEST_F(PagingTamper, SecsBlobAtAnAddressIsMacCompareFail) {
  ASSERT_EQ(m.cpu(0).eremove(m.epc_addr(kOtherReg)), Result::ok());
  Blob secs_blob;
  ASSERT_EQ(pager.evict(kOtherSecs, pager.va_slot(kVa, 2), secs_blob), Result::ok());
  secs_blob.linaddr = kBase;
  expect_mac_failure(secs_blob);
}

TEST_F(PagingTamper, VaBlobAsSecsIsMacCompareFail) {
  Blob va_blob;
  ASSERT_EQ(pager.evict(kVa2, pager.va_slot(kVa, 3), va_blob), Result::ok());
  va_blob.pcmd.secinfo.flags = sf::type(PageType::kSecs);
  expect_mac_failure(va_blob);
}

// A machine seeded like the first one derives the same paging key; any other seed
// derives another, and the first machine's blob does not load there.
class PagingKey : public PagingTamper {
 protected:
  PagingKey() : second_seeded(small(Config{}.seed ^ 1)), second_same(small()) {}

  // Brings `twin` to the state of `m` after SetUp, so the VA slot holds the same
  // version, and reloads `m`'s blob there.
  Result replay_on(Machine& twin) {
    EnclaveBuilder b(twin, kSecs);
    EnclaveBuilder o(twin, kOtherSecs);
    Pager p(twin);
    if (!b.create(testlib::make_secs(kBase, kSize)).succeeded() ||
        !b.add(kReg, kBase + 0x1000, page.data(), kRegFlags).succeeded() ||
        !b.add(kReg2, kBase + 0x2000, page.data(), kRegFlags).succeeded() ||
        !o.create(testlib::make_secs(kBase, kSize)).succeeded() ||
        !o.add(kOtherReg, kBase + 0x1000, page.data(), kRegFlags).succeeded() ||
        !p.epa(kVa).succeeded() || !p.epa(kVa2).succeeded()) {
      return Result::gp();
    }
    Blob own;
    if (!p.evict(kReg, p.va_slot(kVa, 0), own).succeeded()) return Result::gp();
    EXPECT_EQ(Inspector(twin).va_slots(kVa).at(0), Inspector(m).va_slots(kVa).at(0));
    return p.eldu(blob, kTarget);
  }

  Machine second_seeded;
  Machine second_same;
};

TEST_F(PagingKey, SameSeedSameKey) { EXPECT_EQ(replay_on(second_same), Result::ok()); }

TEST_F(PagingKey, OtherSeedIsMacCompareFail) {
  EXPECT_EQ(replay_on(second_seeded), Result::error(SgxCode::kMacCompareFail));
}

}  // namespace
}  // namespace sgxref::hw
