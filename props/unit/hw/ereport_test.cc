// EREPORT: SDM vol. 3D "EREPORT—Create a Cryptographic Report of the Enclave", and the
// AES-128-CMAC and report-key derivation it uses (docs/hw.md "Report keys"). Enclave
// code runs on CPU 0 in testlib::TestEnclave and keeps TARGETINFO, REPORTDATA and the
// REPORT in its data page. MACs are checked with the openssl command, outside our code.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "hw/cpu.h"
#include "hw/crypto/cmac.h"
#include "hw/crypto/report_key.h"
#include "hw/crypto/sha256.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/host_command.h"
#include "testlib/sgx2_fixture.h"
#include "uapi/page_type.h"
#include "uapi/report.h"
#include "uapi/secs.h"

namespace sgxref::hw {
namespace {

using testlib::TestEnclave;

std::string hex(const uint8_t* p, size_t n) {
  std::string s;
  char b[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02X", p[i]);
    s += b;
  }
  return s;
}

// AES-128-CMAC of `data` under `key` by the openssl command.
std::string openssl_cmac(const CmacKey& key, const void* data, size_t n) {
  const testlib::TempFile in(data, n);
  std::string out = testlib::run_host_command("openssl mac -cipher AES-128-CBC -macopt hexkey:" +
                                              hex(key.data(), key.size()) + " -in '" +
                                              in.path() + "' CMAC");
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::vector<uint8_t> unhex(const std::string& h) {
  std::vector<uint8_t> v;
  for (size_t i = 0; i + 1 < h.size(); i += 2) v.push_back(uint8_t(std::stoi(h.substr(i, 2), nullptr, 16)));
  return v;
}

// ---- AES-128-CMAC

TEST(Cmac, MatchesRfc4493Vectors) {
  const std::vector<uint8_t> k = unhex("2b7e151628aed2a6abf7158809cf4f3c");
  CmacKey key;
  std::memcpy(key.data(), k.data(), key.size());
  const std::vector<uint8_t> msg = unhex(
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  const struct {
    size_t len;
    const char* mac;
  } vectors[] = {{0, "BB1D6929E95937287FA37D129B756746"},
                 {16, "070A16B46B4D4144F79BDD9DD04A287C"},
                 {40, "DFA66747DE9AE63030CA32611497C827"},
                 {64, "51F0BEBF7E3B9D92FC49741779363CFE"}};
  for (const auto& v : vectors) {
    const CmacTag t = aes128_cmac(key, msg.data(), v.len);
    EXPECT_EQ(hex(t.data(), t.size()), v.mac) << v.len << " bytes";
  }
}

TEST(Cmac, MatchesOpensslCommand) {
  CmacKey key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = uint8_t(0xA0 + i);
  std::array<uint8_t, 384> msg;
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = uint8_t(i * 31);
  const CmacTag t = aes128_cmac(key, msg.data(), msg.size());
  EXPECT_EQ(hex(t.data(), t.size()), openssl_cmac(key, msg.data(), msg.size()));
}

// ---- EREPORT

class Ereport : public testlib::Sgx2Fixture {
 protected:
  static constexpr uint64_t kTargetInfo = TestEnclave::kData + 0x400;
  static constexpr uint64_t kReportData = TestEnclave::kData + 0x800;
  static constexpr uint64_t kOut = TestEnclave::kData + 0xA00;
  static constexpr uint64_t kUnmapped = 0xB000;  // in ELRANGE, no PTE

  // Enclave code on CPU 0 writes `n` bytes (a multiple of 8) at `at`.
  Result write(uint64_t at, const void* data, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
      uint64_t v;
      std::memcpy(&v, static_cast<const uint8_t*>(data) + i, 8);
      if (Result r = store64(0, la(at) + i, v); !r.succeeded()) return r;
    }
    return Result::ok();
  }
  uapi::Report report_at(uint64_t at) {
    uapi::Report r;
    std::memcpy(&r, Inspector(m()).page(slot(page_of(at))) + page_offset(at), sizeof r);
    return r;
  }

  // A target enclave's TARGETINFO and 64 bytes of REPORTDATA, written by the enclave.
  void put_operands(const uapi::TargetInfo& ti) {
    ASSERT_EQ(write(kTargetInfo, &ti, sizeof ti), Result::ok());
    std::array<uint8_t, 64> data;
    for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(0xC0 + i);
    ASSERT_EQ(write(kReportData, data.data(), data.size()), Result::ok());
  }
  static uapi::TargetInfo target() {
    uapi::TargetInfo ti{};
    for (size_t i = 0; i < sizeof ti.measurement; ++i) ti.measurement[i] = uint8_t(0x11 * i);
    ti.attributes = {uapi::attr::kInit | uapi::attr::kMode64Bit, 0x3};
    ti.miscselect = 1;
    ti.config_svn = 9;
    ti.config_id[3] = 0x77;
    return ti;
  }
  Result ereport() { return cpu().ereport(la(kTargetInfo), la(kReportData), la(kOut)); }

  void expect_fault_delivered(const Result& r, const Result& want) {
    EXPECT_EQ(r, want);
    EXPECT_FALSE(cpu().in_enclave_mode());
  }
};

TEST_F(Ereport, ReportsEnclaveIdentityAndData) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_NO_FATAL_FAILURE(put_operands(target()));
  const Snapshot before = Inspector(m()).snapshot();
  ASSERT_EQ(ereport(), Result::ok());
  EXPECT_TRUE(cpu().in_enclave_mode());
  EXPECT_EQ(cpu().regs(), before.cpus[0].regs) << "no return code";

  const uapi::Report r = report_at(kOut);
  const SecsView secs = Inspector(m()).secs(enclave().secs_slot());
  const uapi::ReportBody& b = r.body;
  EXPECT_EQ(std::memcmp(b.cpusvn, ReportKeys::kCpuSvn.data(), 16), 0);
  EXPECT_EQ(b.miscselect, secs.miscselect);
  EXPECT_EQ(b.attributes.flags, secs.attributes);
  EXPECT_EQ(b.attributes.xfrm, secs.xfrm);
  EXPECT_EQ(std::memcmp(b.mrenclave, secs.mrenclave.data(), 32), 0);
  EXPECT_EQ(std::memcmp(b.mrsigner, secs.mrsigner.data(), 32), 0);
  EXPECT_EQ(b.isv_prod_id, secs.isv_prod_id);
  EXPECT_EQ(b.isv_svn, secs.isv_svn);
  for (size_t i = 0; i < 64; ++i) EXPECT_EQ(b.report_data[i], uint8_t(0xC0 + i)) << i;
  const ReportKeys keys(m().config().seed);
  EXPECT_EQ(std::memcmp(r.key_id, keys.key_id().data(), 32), 0);
  EXPECT_TRUE(std::all_of(b.reserved1, b.reserved1 + 12, [](uint8_t x) { return x == 0; }));
  EXPECT_TRUE(std::all_of(b.reserved2, b.reserved2 + 32, [](uint8_t x) { return x == 0; }));
  EXPECT_TRUE(std::all_of(b.reserved4, b.reserved4 + 42, [](uint8_t x) { return x == 0; }));

  // Only the 432 bytes of the REPORT changed, in the data page.
  Snapshot after = Inspector(m()).snapshot();
  after.page_digest[slot(TestEnclave::kData)] = before.page_digest[slot(TestEnclave::kData)];
  EXPECT_EQ(after, before);
}

TEST_F(Ereport, MacIsCmacOfBodyUnderTargetsReportKey) {
  // The derivation of docs/hw.md "Report keys", written out here and MACed by openssl.
  ASSERT_EQ(eenter(), Result::ok());
  const uapi::TargetInfo ti = target();
  ASSERT_NO_FATAL_FAILURE(put_operands(ti));
  ASSERT_EQ(ereport(), Result::ok());
  const uapi::Report r = report_at(kOut);

  const uint64_t seed = m().config().seed;
  auto seeded = [&](const std::string& label) {
    std::string in = label;
    for (int i = 0; i < 8; ++i) in.push_back(char(uint8_t(seed >> (8 * i))));
    return Sha256::of(in.data(), in.size());
  };
  const Digest root = seeded("sgxref report root key");
  const Digest key_id = seeded("sgxref CR_REPORT_KEYID");
  std::array<uint8_t, 168> deps{};
  const uint16_t key_name = 3;
  std::memcpy(&deps[0], &key_name, 2);
  std::memcpy(&deps[2], &ti.config_svn, 2);
  std::memcpy(&deps[4], &ti.miscselect, 4);
  std::memcpy(&deps[8], &ti.attributes, 16);
  std::memcpy(&deps[24], ti.measurement, 32);
  std::memcpy(&deps[56], key_id.data(), 32);
  std::memcpy(&deps[88], ReportKeys::kCpuSvn.data(), 16);
  std::memcpy(&deps[104], ti.config_id, 64);
  CmacKey root_key;
  std::memcpy(root_key.data(), root.data(), 16);
  const std::vector<uint8_t> report_key = unhex(openssl_cmac(root_key, deps.data(), deps.size()));
  ASSERT_EQ(report_key.size(), 16u);
  CmacKey k;
  std::memcpy(k.data(), report_key.data(), 16);
  EXPECT_EQ(hex(r.mac, 16), openssl_cmac(k, &r.body, sizeof r.body));
}

TEST_F(Ereport, EachTargetGetsItsOwnMac) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_NO_FATAL_FAILURE(put_operands(target()));
  ASSERT_EQ(ereport(), Result::ok());
  const uapi::Report first = report_at(kOut);
  for (int field = 0; field < 4; ++field) {
    uapi::TargetInfo ti = target();
    if (field == 0) ti.measurement[31] ^= 1;
    if (field == 1) ti.attributes.flags ^= uapi::attr::kDebug;
    if (field == 2) ti.miscselect = 0;
    if (field == 3) ti.config_id[63] = 1;
    ASSERT_NO_FATAL_FAILURE(put_operands(ti));
    ASSERT_EQ(ereport(), Result::ok());
    const uapi::Report other = report_at(kOut);
    EXPECT_EQ(std::memcmp(&other.body, &first.body, sizeof first.body), 0) << field;
    EXPECT_NE(std::memcmp(other.mac, first.mac, 16), 0) << field;
  }
}

TEST_F(Ereport, TargetInfoReservedBytesDoNotChangeTheKey) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_NO_FATAL_FAILURE(put_operands(target()));
  ASSERT_EQ(ereport(), Result::ok());
  const uapi::Report first = report_at(kOut);
  uapi::TargetInfo ti = target();
  ti.reserved3[0] = 0xFF;
  ASSERT_NO_FATAL_FAILURE(put_operands(ti));
  ASSERT_EQ(ereport(), Result::ok());
  EXPECT_EQ(std::memcmp(report_at(kOut).mac, first.mac, 16), 0);
}

TEST_F(Ereport, SameSeedSameReportOtherSeedOtherKey) {
  ASSERT_EQ(eenter(), Result::ok());
  ASSERT_NO_FATAL_FAILURE(put_operands(target()));
  ASSERT_EQ(ereport(), Result::ok());
  const uapi::Report first = report_at(kOut);
  ASSERT_EQ(ereport(), Result::ok());
  EXPECT_EQ(std::memcmp(report_at(kOut).mac, first.mac, 16), 0) << "deterministic";

  const ReportKeys here(m().config().seed), there(m().config().seed + 1);
  ReportKeyTarget t;
  EXPECT_NE(here.key_id(), there.key_id());
  EXPECT_NE(here.key_for(t), there.key_for(t));
  EXPECT_EQ(here.key_for(t), ReportKeys(m().config().seed).key_for(t));
}

TEST_F(Ereport, OutsideEnclaveModeIsGp) {
  const Snapshot before = Inspector(m()).snapshot();
  EXPECT_EQ(ereport(), Result::gp());
  EXPECT_EQ(Inspector(m()).snapshot(), before);
}

TEST_F(Ereport, MisalignedTargetInfoIsGp) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(
      refused([&] { return cpu().ereport(la(kTargetInfo) + 256, la(kReportData), la(kOut)); }),
      Result::gp());
}

TEST_F(Ereport, TargetInfoOutsideElrangeIsGp) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().ereport(kUser, la(kReportData), la(kOut)); }),
                         Result::gp());
}

TEST_F(Ereport, UnmappedTargetInfoIsPf) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(
      refused([&] { return cpu().ereport(la(kUnmapped), la(kReportData), la(kOut)); }),
      Result::pf(la(kUnmapped), kNotPresentRead));
}

TEST_F(Ereport, TargetInfoOnPendingPageIsPf) {
  ASSERT_EQ(eaug(kAug), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().ereport(la(kAug), la(kReportData), la(kOut)); }),
                         Result::pf(la(kAug), kEpcmRead));
}

TEST_F(Ereport, TargetInfoOnUnreadablePageIsPf) {
  ASSERT_EQ(emodpr(TestEnclave::kCode, kReg | kX), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  const LAddr code = la(TestEnclave::kCode);
  expect_fault_delivered(refused([&] { return cpu().ereport(code, la(kReportData), la(kOut)); }),
                         Result::pf(code, kEpcmRead));
}

TEST_F(Ereport, TargetInfoOnTcsPageIsPf) {
  ASSERT_EQ(eenter(), Result::ok());
  const LAddr tcs = la(TestEnclave::kTcs2);
  expect_fault_delivered(refused([&] { return cpu().ereport(tcs, la(kReportData), la(kOut)); }),
                         Result::pf(tcs, kEpcmRead));
}

TEST_F(Ereport, MisalignedReportDataIsGp) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(
      refused([&] { return cpu().ereport(la(kTargetInfo), la(kReportData) + 64, la(kOut)); }),
      Result::gp());
}

TEST_F(Ereport, ReportDataOutsideElrangeIsGp) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(refused([&] { return cpu().ereport(la(kTargetInfo), kUser, la(kOut)); }),
                         Result::gp());
}

TEST_F(Ereport, ReportDataOnBlockedPageIsPf) {
  ASSERT_EQ(cpu(kKernel).eblock(m().epc_addr(slot(TestEnclave::kData2))), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  const LAddr rd = la(TestEnclave::kData2);
  expect_fault_delivered(refused([&] { return cpu().ereport(la(kTargetInfo), rd, la(kOut)); }),
                         Result::pf(rd, kEpcmRead));
}

TEST_F(Ereport, MisalignedOutputIsGp) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(
      refused([&] { return cpu().ereport(la(kTargetInfo), la(kReportData), la(kOut) + 128); }),
      Result::gp());
}

TEST_F(Ereport, OutputOutsideElrangeIsGp) {
  ASSERT_EQ(eenter(), Result::ok());
  expect_fault_delivered(
      refused([&] { return cpu().ereport(la(kTargetInfo), la(kReportData), kUser); }),
      Result::gp());
}

TEST_F(Ereport, OutputThroughReadOnlyPteIsPf) {
  ASSERT_EQ(eenter(), Result::ok());
  const LAddr code = la(TestEnclave::kCode);
  expect_fault_delivered(
      refused([&] { return cpu().ereport(la(kTargetInfo), la(kReportData), code); }),
      Result::pf(code, 0x7));  // P|W|U: the PTE, not the EPCM
}

TEST_F(Ereport, OutputOnPageWithoutEpcmWriteIsPf) {
  ASSERT_EQ(emodpr(TestEnclave::kData2, kReg | kR), Result::ok());
  ASSERT_EQ(eenter(), Result::ok());
  const LAddr out = la(TestEnclave::kData2);
  expect_fault_delivered(
      refused([&] { return cpu().ereport(la(kTargetInfo), la(kReportData), out); }),
      Result::pf(out, kEpcmWrite));
}

}  // namespace
}  // namespace sgxref::hw
