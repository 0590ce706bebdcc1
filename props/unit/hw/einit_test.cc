// EINIT: SDM vol. 3D "EINIT—Initialize an Enclave for Execution". Enclaves are built
// with testlib::EnclaveBuilder and signed with the committed test key through
// sgxref_sign, as an enclave author's tool would sign them.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <string>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "sched/scheduler.h"
#include "sign/enclave_measurement.h"
#include "sign/sigstruct.h"
#include "testlib/binding_sigstruct.h"
#include "testlib/enclave_builder.h"
#include "testlib/host_command.h"
#include "testlib/kernel_memory.h"
#include "testlib/pause_at.h"
#include "testlib/small_config.h"
#include "testlib/test_signing_key.h"
#include "uapi/page_type.h"
#include "uapi/secs.h"
#include "uapi/sigstruct.h"

namespace sgxref::hw {
namespace {

namespace sf = uapi::secinfo_flag;

const std::string kKeyPath = std::string(SGXREF_SOURCE_DIR "/props/testdata/sign_key.pem");

Digest test_key_hash() {
  const sign::Rsa3072Le n = testlib::test_signing_key().modulus();
  return Sha256::of(n.data(), n.size());
}

std::string hex(const uint8_t* p, size_t n) {
  std::string s;
  char b[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", p[i]);
    s += b;
  }
  return s;
}

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x1'0000;
constexpr uint64_t kRegFlags = sf::type(PageType::kReg) | sf::kR | sf::kW;
constexpr uint64_t kTcsFlags = sf::type(PageType::kTcs);
// The default enclave: SECS in slot 0, a REG page in slot 1, a TCS in slot 2.
constexpr uint32_t kSecs = 0;
constexpr uint32_t kReg = 1;
constexpr uint32_t kSpare = 3;
// A second enclave, built by tests that need other SECS attributes, from slot 8.
constexpr uint32_t kOtherSecs = 8;
constexpr uint32_t kUnused = 15;

class Einit : public ::testing::Test {
 protected:
  void SetUp() override {
    for (size_t i = 0; i < page_.size(); ++i) page_[i] = uint8_t(i * 7 + 1);
    build(kSecs, 0);
    // What Linux does before every EINIT: IA32_SGXLEPUBKEYHASH = MRSIGNER of the enclave.
    m_.cpu(0).write_lepubkeyhash(test_key_hash());
  }

  // SECS in `secs_slot`, a measured REG page and a measured TCS in the next two slots.
  void build(uint32_t secs_slot, uint64_t extra_attributes) {
    testlib::EnclaveBuilder b(m_, secs_slot);
    uapi::Secs secs = testlib::make_secs(kBase, kSize);
    secs.attributes |= extra_attributes;
    ASSERT_EQ(b.create(secs), Result::ok());
    ASSERT_EQ(b.add_measured(secs_slot + 1, kBase, page_.data(), kRegFlags), Result::ok());
    const uapi::Tcs tcs = testlib::make_tcs(0x2000, 0);
    ASSERT_EQ(b.add_measured(secs_slot + 2, kBase + 0x1000, &tcs, kTcsFlags), Result::ok());
  }

  // A SIGSTRUCT that binds the enclave exactly as built: every ATTRIBUTES, XFRM and
  // MISCSELECT bit masked, MRENCLAVE the measurement so far.
  sign::SigStructParams params(uint32_t secs_slot = kSecs) const {
    sign::SigStructParams p = testlib::binding_params(Inspector(m_).secs(secs_slot));
    p.date = 0x20250131;
    p.isv_prod_id = 0x0102;
    p.isv_svn = 0x0304;
    return p;
  }
  static uapi::SigStruct signed_for(const sign::SigStructParams& p) {
    return sign::make_sigstruct(testlib::test_signing_key(), p);
  }
  // Re-signs after a test changed a signed field, so that change is the only defect.
  static uapi::SigStruct resigned(uapi::SigStruct s) {
    sign::sign_sigstruct(testlib::test_signing_key(), s);
    return s;
  }

  // Operands as the driver places them: SIGSTRUCT at a page boundary, the token at a
  // 512-byte (not page) boundary.
  PAddr put_sigstruct(const uapi::SigStruct& s) { return mem_.put(s); }
  PAddr put_token(const uapi::EinitToken& t) { return mem_.put(t, 512); }

  Result einit(const uapi::SigStruct& s, uint32_t secs_slot = kSecs,
               const uapi::EinitToken& t = {}, uint32_t cpu = 0) {
    const PAddr sig = put_sigstruct(s);
    const PAddr tok = put_token(t);
    return m_.cpu(cpu).einit(sig, m_.epc_addr(secs_slot), tok);
  }

  // EINIT expected to be refused; also checks that the refusal changed nothing.
  Result refused(const uapi::SigStruct& s, uint32_t secs_slot = kSecs,
                 const uapi::EinitToken& t = {}) {
    const PAddr sig = put_sigstruct(s);
    const PAddr tok = put_token(t);
    const Snapshot before = Inspector(m_).snapshot();
    const Result r = m_.cpu(0).einit(sig, m_.epc_addr(secs_slot), tok);
    EXPECT_EQ(Inspector(m_).snapshot(), before);
    return r;
  }

  Machine m_{testlib::small_config(16, 256)};
  testlib::KernelMemory mem_{m_};
  std::array<uint8_t, kPageSize> page_{};
};

// ---- success

TEST_F(Einit, InitializesEnclave) {
  // MRENCLAVE as the author's tool computes it, independently of the emulator.
  sign::EnclaveMeasurement author(1, kSize);
  author.add_measured(0, kRegFlags, page_.data());
  const uapi::Tcs tcs = testlib::make_tcs(0x2000, 0);
  author.add_measured(0x1000, kTcsFlags, reinterpret_cast<const uint8_t*>(&tcs));
  sign::SigStructParams p = params();
  ASSERT_EQ(p.mrenclave, author.mrenclave());
  const SecsView v0 = Inspector(m_).secs(kSecs);
  const Snapshot before = Inspector(m_).snapshot();

  ASSERT_EQ(einit(signed_for(p)), Result::ok());

  const SecsView v = Inspector(m_).secs(kSecs);
  EXPECT_TRUE(v.initialized);
  EXPECT_EQ(v.attributes, v0.attributes | uapi::attr::kInit);
  EXPECT_EQ(v.mrenclave, author.mrenclave());
  EXPECT_EQ(v.mrsigner, test_key_hash());
  EXPECT_EQ(v.isv_prod_id, 0x0102);
  EXPECT_EQ(v.isv_svn, 0x0304);
  EXPECT_EQ(v.xfrm, v0.xfrm);
  EXPECT_EQ(v.miscselect, v0.miscselect);
  EXPECT_EQ(v.base, v0.base);
  EXPECT_EQ(v.size, v0.size);
  EXPECT_EQ(v.eid, v0.eid);
  const Snapshot after = Inspector(m_).snapshot();
  EXPECT_EQ(after.epcm, before.epcm);
  EXPECT_EQ(after.measurements.count(v.eid), 0u) << "measurement state must be erased";
  EXPECT_EQ(before.measurements.count(v.eid), 1u);
  // The final MRENCLAVE is in the SECS page itself (what EWB would seal).
  uapi::Secs raw;
  std::memcpy(&raw, Inspector(m_).page(kSecs), sizeof raw);
  EXPECT_EQ(std::memcmp(raw.mrenclave, author.mrenclave().data(), 32), 0);
}

TEST_F(Einit, MrsignerIsSha256OfLittleEndianModulus) {
  ASSERT_EQ(einit(signed_for(params())), Result::ok());
  // Known answer from outside our code: openssl prints the modulus big-endian; SIGSTRUCT
  // stores it little-endian and MRSIGNER hashes the stored bytes.
  const std::string out =
      testlib::run_host_command("openssl rsa -in '" + kKeyPath + "' -modulus -noout");
  ASSERT_EQ(out.rfind("Modulus=", 0), 0u) << out;
  const std::string modulus_hex = out.substr(8, 768);
  const std::string py =
      "import hashlib, sys; "
      "print(hashlib.sha256(bytes.fromhex(sys.argv[1])[::-1]).hexdigest())";
  const std::string want =
      testlib::run_host_command("/usr/bin/python3 -c '" + py + "' " + modulus_hex);
  const Digest mrsigner = Inspector(m_).secs(kSecs).mrsigner;
  EXPECT_EQ(hex(mrsigner.data(), mrsigner.size()) + "\n", want);
}

TEST_F(Einit, Vendor8086IsAccepted) {
  sign::SigStructParams p = params();
  p.vendor = 0x8086;
  EXPECT_EQ(einit(signed_for(p)), Result::ok());
}

TEST_F(Einit, IsvFamilyIdWithKssIsAccepted) {
  build(kOtherSecs, uapi::attr::kKss);
  sign::SigStructParams p = params(kOtherSecs);
  p.isv_family_id[3] = 0x42;
  EXPECT_EQ(einit(signed_for(p), kOtherSecs), Result::ok());
  EXPECT_TRUE(Inspector(m_).secs(kOtherSecs).initialized);
}

TEST_F(Einit, UnmaskedDifferencesAreAccepted) {
  sign::SigStructParams p = params();
  p.attributes ^= uapi::attr::kDebug;
  p.attributes_mask &= ~uapi::attr::kDebug;
  p.xfrm ^= 0x4;
  p.xfrm_mask &= ~uint64_t(0x4);
  p.miscselect ^= uapi::miscselect::kExInfo;
  p.misc_mask = 0;
  EXPECT_EQ(einit(signed_for(p)), Result::ok());
}

// ---- operands

TEST_F(Einit, MisalignedSigstructIsGp) {
  const PAddr sig = put_sigstruct(signed_for(params())) + 64;
  const PAddr tok = put_token({});
  const Snapshot before = Inspector(m_).snapshot();
  EXPECT_EQ(m_.cpu(0).einit(sig, m_.epc_addr(kSecs), tok), Result::gp());
  EXPECT_EQ(Inspector(m_).snapshot(), before);
}

TEST_F(Einit, MisalignedSecsIsGp) {
  const PAddr sig = put_sigstruct(signed_for(params()));
  const PAddr tok = put_token({});
  const Snapshot before = Inspector(m_).snapshot();
  EXPECT_EQ(m_.cpu(0).einit(sig, m_.epc_addr(kSecs) + 0x800, tok), Result::gp());
  EXPECT_EQ(Inspector(m_).snapshot(), before);
}

TEST_F(Einit, TokenNot512ByteAlignedIsGp) {
  const PAddr sig = put_sigstruct(signed_for(params()));
  const PAddr tok = mem_.put(uapi::EinitToken{}, 256);
  const Snapshot before = Inspector(m_).snapshot();
  EXPECT_EQ(m_.cpu(0).einit(sig, m_.epc_addr(kSecs), tok), Result::gp());
  EXPECT_EQ(Inspector(m_).snapshot(), before);
}

TEST_F(Einit, SecsOutsideEpcIsPf) {
  const PAddr sig = put_sigstruct(signed_for(params()));
  const PAddr tok = put_token({});
  const PAddr ram = mem_.frame();
  const Snapshot before = Inspector(m_).snapshot();
  EXPECT_EQ(m_.cpu(0).einit(sig, ram, tok), Result::pf(ram, 0));
  EXPECT_EQ(Inspector(m_).snapshot(), before);
}

TEST_F(Einit, UnmappedSigstructIsPf) {
  const PAddr tok = put_token({});
  const Snapshot before = Inspector(m_).snapshot();
  EXPECT_EQ(m_.cpu(0).einit(0, m_.epc_addr(kSecs), tok), Result::pf(0, 0));
  EXPECT_EQ(Inspector(m_).snapshot(), before);
}

TEST_F(Einit, UnmappedTokenIsPf) {
  const PAddr sig = put_sigstruct(signed_for(params()));
  const Snapshot before = Inspector(m_).snapshot();
  EXPECT_EQ(m_.cpu(0).einit(sig, m_.epc_addr(kSecs), 0), Result::pf(0, 0));
  EXPECT_EQ(Inspector(m_).snapshot(), before);
}

TEST_F(Einit, SigstructInEpcReadsAsAllOnesIsInvalidSigStruct) {
  // A non-enclave read of the EPC sees the abort page, never the page's bytes.
  const PAddr tok = put_token({});
  const Snapshot before = Inspector(m_).snapshot();
  EXPECT_EQ(m_.cpu(0).einit(m_.epc_addr(kReg), m_.epc_addr(kSecs), tok),
            Result::error(SgxCode::kInvalidSigStruct));
  EXPECT_EQ(Inspector(m_).snapshot(), before);
}

// ---- SGX_INVALID_SIG_STRUCT

TEST_F(Einit, WrongHeader1IsInvalidSigStruct) {
  uapi::SigStruct s = signed_for(params());
  s.header.header1[4] ^= 0x01;
  EXPECT_EQ(refused(resigned(s)), Result::error(SgxCode::kInvalidSigStruct));
}

TEST_F(Einit, WrongHeader2IsInvalidSigStruct) {
  uapi::SigStruct s = signed_for(params());
  s.header.header2[15] = 0x80;
  EXPECT_EQ(refused(resigned(s)), Result::error(SgxCode::kInvalidSigStruct));
}

TEST_F(Einit, VendorNeither0Nor8086IsInvalidSigStruct) {
  sign::SigStructParams p = params();
  p.vendor = 0x8087;
  EXPECT_EQ(refused(signed_for(p)), Result::error(SgxCode::kInvalidSigStruct));
}

TEST_F(Einit, ExponentOtherThan3IsInvalidSigStruct) {
  uapi::SigStruct s = signed_for(params());
  s.exponent = 65537;  // not covered by the signature
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidSigStruct));
}

TEST_F(Einit, ReservedHeaderBytesAreInvalidSigStruct) {
  uapi::SigStruct s = signed_for(params());
  s.header.reserved[83] = 1;
  EXPECT_EQ(refused(resigned(s)), Result::error(SgxCode::kInvalidSigStruct));
}

TEST_F(Einit, CetBytesWithoutCetAreInvalidSigStruct) {
  // SIGSTRUCT offsets 908..911: CET_ATTRIBUTES, its mask and two reserved bytes.
  uapi::SigStruct s = signed_for(params());
  s.body.reserved1[0] = 1;
  EXPECT_EQ(refused(resigned(s)), Result::error(SgxCode::kInvalidSigStruct));
}

TEST_F(Einit, ReservedBodyBytesAreInvalidSigStruct) {
  uapi::SigStruct s = signed_for(params());
  s.body.reserved2[7] = 1;
  EXPECT_EQ(refused(resigned(s)), Result::error(SgxCode::kInvalidSigStruct));
}

TEST_F(Einit, ReservedBytesAfterBodyAreInvalidSigStruct) {
  uapi::SigStruct s = signed_for(params());
  s.reserved[11] = 1;  // not covered by the signature
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidSigStruct));
}

// ---- SGX_INVALID_SIGNATURE

TEST_F(Einit, FlippedSignatureBitIsInvalidSignature) {
  uapi::SigStruct s = signed_for(params());
  s.signature[100] ^= 0x10;
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidSignature));
}

TEST_F(Einit, BodyChangedAfterSigningIsInvalidSignature) {
  uapi::SigStruct s = signed_for(params());
  s.body.isv_svn += 1;
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidSignature));
}

TEST_F(Einit, HeaderChangedAfterSigningIsInvalidSignature) {
  uapi::SigStruct s = signed_for(params());
  s.header.swdefined = 5;
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidSignature));
}

TEST_F(Einit, ChangedModulusIsInvalidSignature) {
  uapi::SigStruct s = signed_for(params());
  s.modulus[0] ^= 0x02;  // still odd, still 3072 bits
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidSignature));
}

TEST_F(Einit, ZeroModulusIsInvalidSignature) {
  uapi::SigStruct s = signed_for(params());
  std::memset(s.modulus, 0, sizeof s.modulus);
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidSignature));
}

TEST_F(Einit, WrongQ1IsInvalidSignature) {
  uapi::SigStruct s = signed_for(params());
  s.q1[0] ^= 0x01;
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidSignature));
}

TEST_F(Einit, WrongQ2IsInvalidSignature) {
  uapi::SigStruct s = signed_for(params());
  s.q2[383 - 40] ^= 0x01;
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidSignature));
}

// ---- the SECS

TEST_F(Einit, FreeEpcPageAsSecsIsPf) {
  EXPECT_EQ(refused(signed_for(params()), kUnused), Result::epcm_pf(m_.epc_addr(kUnused)));
}

TEST_F(Einit, RegPageAsSecsIsPf) {
  EXPECT_EQ(refused(signed_for(params()), kReg), Result::epcm_pf(m_.epc_addr(kReg)));
}

TEST_F(Einit, IsvFamilyIdWithoutKssIsInvalidSigStruct) {
  sign::SigStructParams p = params();
  p.isv_family_id[15] = 1;
  EXPECT_EQ(refused(signed_for(p)), Result::error(SgxCode::kInvalidSigStruct));
}

TEST_F(Einit, AlreadyInitializedIsGp) {
  const uapi::SigStruct s = signed_for(params());
  ASSERT_EQ(einit(s), Result::ok());
  EXPECT_EQ(refused(s), Result::gp());
}

// ---- SGX_INVALID_MEASUREMENT

TEST_F(Einit, WrongEnclaveHashIsInvalidMeasurement) {
  sign::SigStructParams p = params();
  p.mrenclave[31] ^= 0x80;
  EXPECT_EQ(refused(signed_for(p)), Result::error(SgxCode::kInvalidMeasurement));
}

TEST_F(Einit, PageAddedAfterSigningIsInvalidMeasurement) {
  const uapi::SigStruct s = signed_for(params());
  testlib::EnclaveBuilder b(m_, kSecs);
  ASSERT_EQ(b.add(kSpare, kBase + 0x3000, page_.data(), kRegFlags), Result::ok());
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidMeasurement));
}

// ---- SGX_INVALID_ATTRIBUTE

TEST_F(Einit, EinitTokenKeyNotSignedByLaunchKeyIsInvalidAttribute) {
  build(kOtherSecs, uapi::attr::kEinitTokenKey);
  m_.cpu(0).write_lepubkeyhash(Digest{});
  EXPECT_EQ(refused(signed_for(params(kOtherSecs)), kOtherSecs),
            Result::error(SgxCode::kInvalidAttribute));
}

TEST_F(Einit, EinitTokenKeySignedByLaunchKeyIsAccepted) {
  build(kOtherSecs, uapi::attr::kEinitTokenKey);
  EXPECT_EQ(einit(signed_for(params(kOtherSecs)), kOtherSecs), Result::ok());
}

TEST_F(Einit, EinitTokenKeyOnlyInSigstructIsNotControlled) {
  // The rule looks at the enclave's (SECS) attributes, not at SIGSTRUCT's: here the
  // launch key check is left to the token rule.
  sign::SigStructParams p = params();
  p.attributes |= uapi::attr::kEinitTokenKey;
  p.attributes_mask &= ~uapi::attr::kEinitTokenKey;
  m_.cpu(0).write_lepubkeyhash(Digest{});
  EXPECT_EQ(refused(signed_for(p)), Result::error(SgxCode::kInvalidEinitToken));
}

TEST_F(Einit, MaskedAttributesMismatchIsInvalidAttribute) {
  sign::SigStructParams p = params();
  p.attributes &= ~uapi::attr::kDebug;  // a production signature for a debug enclave
  EXPECT_EQ(refused(signed_for(p)), Result::error(SgxCode::kInvalidAttribute));
}

TEST_F(Einit, MaskedXfrmMismatchIsInvalidAttribute) {
  sign::SigStructParams p = params();
  p.xfrm |= 0x4;
  EXPECT_EQ(refused(signed_for(p)), Result::error(SgxCode::kInvalidAttribute));
}

TEST_F(Einit, MaskedMiscselectMismatchIsInvalidAttribute) {
  sign::SigStructParams p = params();
  p.miscselect |= uapi::miscselect::kExInfo;
  EXPECT_EQ(refused(signed_for(p)), Result::error(SgxCode::kInvalidAttribute));
}

// ---- EINITTOKEN

TEST_F(Einit, NoTokenAndSignerNotLaunchKeyIsInvalidEinitToken) {
  m_.cpu(0).write_lepubkeyhash(Digest{1, 2, 3});
  EXPECT_EQ(refused(signed_for(params())), Result::error(SgxCode::kInvalidEinitToken));
}

TEST_F(Einit, LaunchKeyHashIsPerLogicalCpu) {
  m_.cpu(0).write_lepubkeyhash(Digest{});
  m_.cpu(1).write_lepubkeyhash(test_key_hash());
  const uapi::SigStruct s = signed_for(params());
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidEinitToken));
  EXPECT_EQ(einit(s, kSecs, {}, 1), Result::ok());
}

TEST_F(Einit, TokenWithValidBitClearIgnoresItsOtherFields) {
  uapi::EinitToken t{};
  t.valid = 0xFFFF'FFFE;
  t.reserved1[0] = 0xAA;
  t.attributes = ~uint64_t(0);
  t.mac[0] = 0x55;
  EXPECT_EQ(einit(signed_for(params()), kSecs, t), Result::ok());
}

TEST_F(Einit, ValidTokenIsInvalidEinitToken) {
  // Even for an enclave the launch key hash would let in: no software here can MAC a
  // token under the launch key.
  uapi::EinitToken t{};
  t.valid = 1;
  const SecsView v = Inspector(m_).secs(kSecs);
  std::memcpy(t.mrenclave, v.mrenclave.data(), 32);
  const Digest signer = test_key_hash();
  std::memcpy(t.mrsigner, signer.data(), 32);
  t.attributes = v.attributes;
  t.xfrm = v.xfrm;
  EXPECT_EQ(refused(signed_for(params()), kSecs, t), Result::error(SgxCode::kInvalidEinitToken));
}

// ---- order of checks: a SIGSTRUCT wrong in two ways gets the earlier code

TEST_F(Einit, BadHeaderBeatsBadSignature) {
  uapi::SigStruct s = signed_for(params());
  s.header.vendor = 1;  // also breaks the signature
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidSigStruct));
}

TEST_F(Einit, SigstructChecksComeBeforeTheSecsIsExamined) {
  uapi::SigStruct s = signed_for(params());
  s.exponent = 5;
  EXPECT_EQ(refused(s, kUnused), Result::error(SgxCode::kInvalidSigStruct));
  s.exponent = 3;
  s.signature[0] ^= 1;
  EXPECT_EQ(refused(s, kUnused), Result::error(SgxCode::kInvalidSignature));
}

TEST_F(Einit, IsvFamilyIdBeatsAlreadyInitialized) {
  ASSERT_EQ(einit(signed_for(params())), Result::ok());
  sign::SigStructParams p = params();
  p.isv_family_id[0] = 1;
  EXPECT_EQ(refused(signed_for(p)), Result::error(SgxCode::kInvalidSigStruct));
}

TEST_F(Einit, BadSignatureBeatsWrongEnclaveHash) {
  sign::SigStructParams p = params();
  p.mrenclave[0] ^= 1;
  uapi::SigStruct s = signed_for(p);
  s.signature[7] ^= 1;
  EXPECT_EQ(refused(s), Result::error(SgxCode::kInvalidSignature));
}

TEST_F(Einit, WrongEnclaveHashBeatsBadAttributes) {
  sign::SigStructParams p = params();
  p.mrenclave[0] ^= 1;
  p.attributes &= ~uapi::attr::kDebug;
  EXPECT_EQ(refused(signed_for(p)), Result::error(SgxCode::kInvalidMeasurement));
}

TEST_F(Einit, BadAttributesBeatSignerNotLaunchKey) {
  sign::SigStructParams p = params();
  p.xfrm |= 0x4;
  m_.cpu(0).write_lepubkeyhash(Digest{});
  EXPECT_EQ(refused(signed_for(p)), Result::error(SgxCode::kInvalidAttribute));
}

TEST_F(Einit, WrongEnclaveHashBeatsValidToken) {
  sign::SigStructParams p = params();
  p.mrenclave[5] ^= 1;
  uapi::EinitToken t{};
  t.valid = 1;
  EXPECT_EQ(refused(signed_for(p), kSecs, t), Result::error(SgxCode::kInvalidMeasurement));
}

// ---- concurrency: EADD, EEXTEND and EINIT exclude each other on the SECS

class EinitOverlap : public Einit {};

TEST_F(EinitOverlap, EaddDuringEinitIsGp) {
  const PAddr sig = put_sigstruct(signed_for(params()));
  const PAddr tok = put_token({});
  testlib::EnclaveBuilder other(m_, kSecs, 1);
  const Result initialized = testlib::overlap(
      "einit.locked", [&] { return m_.cpu(0).einit(sig, m_.epc_addr(kSecs), tok); },
      [&] {
        const Snapshot before = Inspector(m_).snapshot();
        EXPECT_EQ(other.add(kSpare, kBase + 0x3000, page_.data(), kRegFlags), Result::gp());
        EXPECT_EQ(Inspector(m_).snapshot(), before);
      });
  EXPECT_EQ(initialized, Result::ok());
}

TEST_F(EinitOverlap, EinitDuringEaddIsGp) {
  testlib::EnclaveBuilder other(m_, kSecs, 1);
  const Result added = testlib::overlap(
      "eadd.measuring",
      [&] { return other.add(kSpare, kBase + 0x3000, page_.data(), kRegFlags); },
      [&] { EXPECT_EQ(refused(signed_for(params())), Result::gp()); });
  EXPECT_EQ(added, Result::ok());
}

TEST_F(EinitOverlap, EextendDuringEinitIsGp) {
  const PAddr sig = put_sigstruct(signed_for(params()));
  const PAddr tok = put_token({});
  const Result initialized = testlib::overlap(
      "einit.locked", [&] { return m_.cpu(0).einit(sig, m_.epc_addr(kSecs), tok); },
      [&] {
        const Snapshot before = Inspector(m_).snapshot();
        EXPECT_EQ(m_.cpu(1).eextend(m_.epc_addr(kSecs), m_.epc_addr(kReg)), Result::gp());
        EXPECT_EQ(Inspector(m_).snapshot(), before);
      });
  EXPECT_EQ(initialized, Result::ok());
}

TEST_F(EinitOverlap, EinitDuringEextendIsGp) {
  const Result extended = testlib::overlap(
      "eextend.measuring",
      [&] { return m_.cpu(1).eextend(m_.epc_addr(kSecs), m_.epc_addr(kReg) + 256); },
      [&] { EXPECT_EQ(refused(signed_for(params())), Result::gp()); });
  EXPECT_EQ(extended, Result::ok());
}

TEST_F(EinitOverlap, EinitDuringEinitIsGp) {
  const uapi::SigStruct s = signed_for(params());
  const PAddr sig = put_sigstruct(s);
  const PAddr tok = put_token({});
  const Result initialized = testlib::overlap(
      "einit.locked", [&] { return m_.cpu(0).einit(sig, m_.epc_addr(kSecs), tok); },
      [&] {
        const PAddr sig2 = put_sigstruct(s);
        const PAddr tok2 = put_token({});
        const Snapshot before = Inspector(m_).snapshot();
        EXPECT_EQ(m_.cpu(1).einit(sig2, m_.epc_addr(kSecs), tok2), Result::gp());
        EXPECT_EQ(Inspector(m_).snapshot(), before);
      });
  EXPECT_EQ(initialized, Result::ok());
}

TEST_F(EinitOverlap, SecsHeldExclusiveIsGp) {
  // EREMOVE of the SECS holds it Exclusive (and will answer SGX_CHILD_PRESENT).
  const Result removed = testlib::overlap(
      "eremove.locked", [&] { return m_.cpu(1).eremove(m_.epc_addr(kSecs)); },
      [&] { EXPECT_EQ(refused(signed_for(params())), Result::gp()); });
  EXPECT_EQ(removed, Result::error(SgxCode::kChildPresent));
}

}  // namespace
}  // namespace sgxref::hw
