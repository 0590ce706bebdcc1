// sign::make_sigstruct / sign_sigstruct: the SIGSTRUCT an author's tool produces. The
// signature is checked with the openssl CLI, Q1/Q2 with Python's integers, and the
// result against the emulator's own EINIT signature check.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "hw/crypto/rsa3072.h"
#include "sign/sigstruct.h"
#include "testlib/host_command.h"
#include "uapi/secs.h"

namespace sgxref::sign {
namespace {

using testlib::run_host_command;
using testlib::TempFile;

const std::string kKeyPath = std::string(SGXREF_SOURCE_DIR "/props/testdata/sign_key.pem");

std::string hex_be(const uint8_t (&v)[uapi::kRsa3072Bytes]) {
  std::string s;
  char b[3];
  for (size_t i = uapi::kRsa3072Bytes; i-- > 0;) {
    std::snprintf(b, sizeof b, "%02x", v[i]);
    s += b;
  }
  return s;
}

SigStructParams some_params() {
  SigStructParams p;
  p.vendor = 0x8086;
  p.date = 0x20250131;
  p.swdefined = 0x11223344;
  p.miscselect = 1;
  p.misc_mask = 0xFFFF'FFFF;
  p.attributes = uapi::attr::kMode64Bit | uapi::attr::kDebug;
  p.xfrm = 3;
  p.attributes_mask = ~uint64_t(0);
  p.xfrm_mask = ~uint64_t(0);
  for (size_t i = 0; i < p.mrenclave.size(); ++i) p.mrenclave[i] = uint8_t(0xA0 + i);
  p.isv_ext_prod_id[0] = 0x77;
  p.isv_prod_id = 0x1234;
  p.isv_svn = 0x5678;
  return p;
}

// HEADER || BODY, the signed bytes.
std::string signed_bytes(const uapi::SigStruct& s) {
  std::string m(sizeof s.header + sizeof s.body, '\0');
  std::memcpy(m.data(), &s.header, sizeof s.header);
  std::memcpy(m.data() + sizeof s.header, &s.body, sizeof s.body);
  return m;
}

bool openssl_verifies(const uapi::SigStruct& s) {
  const TempFile data(signed_bytes(s));
  const TempFile sig(std::string(std::rbegin(s.signature), std::rend(s.signature)));
  const TempFile pub(run_host_command("openssl pkey -in '" + kKeyPath + "' -pubout"));
  try {
    return run_host_command("openssl dgst -sha256 -verify '" + pub.path() + "' -signature '" +
                            sig.path() + "' '" + data.path() + "' 2>/dev/null") == "Verified OK\n";
  } catch (const std::runtime_error&) {
    return false;  // openssl dgst exits 1 on "Verification failure"
  }
}

TEST(MakeSigstruct, FillsHeaderAndBodyFromParams) {
  const SigningKey k = SigningKey::load(kKeyPath);
  const SigStructParams p = some_params();
  const uapi::SigStruct s = make_sigstruct(k, p);
  // The fixed header bytes as the SDM writes them: 06000000E10000000000010000000000h
  // and 01010000600000006000000001000000h, least significant byte first in memory.
  const uint8_t h1[16] = {6, 0, 0, 0, 0xE1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0};
  const uint8_t h2[16] = {1, 1, 0, 0, 0x60, 0, 0, 0, 0x60, 0, 0, 0, 1, 0, 0, 0};
  EXPECT_EQ(std::memcmp(s.header.header1, h1, 16), 0);
  EXPECT_EQ(std::memcmp(s.header.header2, h2, 16), 0);
  EXPECT_EQ(s.header.vendor, 0x8086u);
  EXPECT_EQ(s.header.date, 0x20250131u);
  EXPECT_EQ(s.header.swdefined, 0x11223344u);
  EXPECT_EQ(s.exponent, 3u);
  EXPECT_EQ(std::memcmp(s.modulus, k.modulus().data(), uapi::kRsa3072Bytes), 0);
  EXPECT_EQ(s.body.miscselect, 1u);
  EXPECT_EQ(s.body.misc_mask, 0xFFFF'FFFFu);
  EXPECT_EQ(s.body.attributes, p.attributes);
  EXPECT_EQ(s.body.xfrm, 3u);
  EXPECT_EQ(s.body.attributes_mask, ~uint64_t(0));
  EXPECT_EQ(s.body.xfrm_mask, ~uint64_t(0));
  EXPECT_EQ(std::memcmp(s.body.mrenclave, p.mrenclave.data(), 32), 0);
  EXPECT_EQ(s.body.isv_ext_prod_id[0], 0x77);
  EXPECT_EQ(s.body.isv_prod_id, 0x1234);
  EXPECT_EQ(s.body.isv_svn, 0x5678);
  // SIGSTRUCT's byte offsets (SDM "Enclave Signature Structure").
  const auto* raw = reinterpret_cast<const uint8_t*>(&s);
  EXPECT_EQ(raw[512], 3);                           // EXPONENT
  EXPECT_EQ(raw[928], p.attributes & 0xFF);         // ATTRIBUTES
  EXPECT_EQ(raw[960], p.mrenclave[0]);              // ENCLAVEHASH
  EXPECT_EQ(raw[1024] | raw[1025] << 8, 0x1234);    // ISVPRODID
  for (uint8_t b : s.header.reserved) ASSERT_EQ(b, 0);
  for (uint8_t b : s.body.reserved1) ASSERT_EQ(b, 0);
  for (uint8_t b : s.body.isv_family_id) ASSERT_EQ(b, 0);
  for (uint8_t b : s.body.reserved2) ASSERT_EQ(b, 0);
  for (uint8_t b : s.reserved) ASSERT_EQ(b, 0);
}

TEST(MakeSigstruct, SignsHeaderThenBodyAsOpensslVerifies) {
  const uapi::SigStruct s = make_sigstruct(SigningKey::load(kKeyPath), some_params());
  EXPECT_TRUE(openssl_verifies(s));
}

TEST(MakeSigstruct, QuotientsMatchPythonIntegers) {
  const uapi::SigStruct s = make_sigstruct(SigningKey::load(kKeyPath), some_params());
  const std::string py =
      "import sys; n = int(sys.argv[1], 16); s = int(sys.argv[2], 16); q1 = s * s // n; "
      "q2 = (s ** 3 - q1 * s * n) // n; print('%0768x %0768x' % (q1, q2))";
  EXPECT_EQ(run_host_command("/usr/bin/python3 -c \"" + py + "\" " + hex_be(s.modulus) + " " +
                             hex_be(s.signature)),
            hex_be(s.q1) + " " + hex_be(s.q2) + "\n");
}

TEST(SignSigstruct, ResigningAfterAChangeCoversTheChange) {
  const SigningKey k = SigningKey::load(kKeyPath);
  uapi::SigStruct s = make_sigstruct(k, some_params());
  s.body.isv_svn = 9;
  EXPECT_FALSE(openssl_verifies(s));
  sign_sigstruct(k, s);
  EXPECT_TRUE(openssl_verifies(s));
  EXPECT_EQ(s.body.isv_svn, 9);
}

TEST(MakeSigstruct, PassesEmulatorCheckUntilACoveredByteChanges) {
  const uapi::SigStruct good = make_sigstruct(SigningKey::load(kKeyPath), some_params());
  ASSERT_TRUE(hw::sigstruct_signature_valid(good));
  // One byte of every part the check covers: header, modulus, signature, body, Q1, Q2.
  for (size_t offset : {size_t(20), size_t(200), size_t(600), size_t(1000), size_t(1100),
                        size_t(1500)}) {
    uapi::SigStruct bad = good;
    reinterpret_cast<uint8_t*>(&bad)[offset] ^= 0x01;
    EXPECT_FALSE(hw::sigstruct_signature_valid(bad)) << "offset " << offset;
  }
}

}  // namespace
}  // namespace sgxref::sign
