// sign::SigningKey: loading, generating and signing with an RSA-3072 exponent-3 key,
// each checked against the openssl command-line tool rather than our own code.
#include <gtest/gtest.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "sign/signing_key.h"
#include "testlib/host_command.h"

namespace sgxref::sign {
namespace {

using testlib::run_host_command;
using testlib::TempFile;

const std::string kKeyPath = std::string(SGXREF_SOURCE_DIR "/props/testdata/sign_key.pem");

// Big-endian uppercase hex, as `openssl rsa -modulus` prints numbers.
std::string hex_be(const Rsa3072Le& v) {
  std::string s;
  char b[3];
  for (auto it = v.rbegin(); it != v.rend(); ++it) {
    std::snprintf(b, sizeof b, "%02X", *it);
    s += b;
  }
  return s;
}

std::string be_bytes(const Rsa3072Le& v) { return std::string(v.rbegin(), v.rend()); }

TEST(SigningKey, LoadsCommittedKeyWithOpensslsModulus) {
  const SigningKey k = SigningKey::load(kKeyPath);
  EXPECT_EQ("Modulus=" + hex_be(k.modulus()) + "\n",
            run_host_command("openssl rsa -in '" + kKeyPath + "' -modulus -noout"));
}

TEST(SigningKey, PemRoundTripKeepsTheKey) {
  const SigningKey k = SigningKey::load(kKeyPath);
  EXPECT_EQ(SigningKey::from_pem(k.to_pem()).modulus(), k.modulus());
}

TEST(SigningKey, SignatureVerifiesWithOpensslDgst) {
  const SigningKey k = SigningKey::load(kKeyPath);
  const std::string data = "header and body of some SIGSTRUCT";
  const TempFile data_file(data);
  const TempFile sig_file(be_bytes(k.sign(data.data(), data.size())));
  const TempFile pub_file(run_host_command("openssl pkey -in '" + kKeyPath + "' -pubout"));
  EXPECT_EQ(run_host_command("openssl dgst -sha256 -verify '" + pub_file.path() +
                             "' -signature '" + sig_file.path() + "' '" + data_file.path() + "'"),
            "Verified OK\n");
}

TEST(SigningKey, SignatureIsDeterministic) {
  // PKCS#1 v1.5 has no salt, so a SIGSTRUCT is reproducible from its inputs.
  const SigningKey k = SigningKey::load(kKeyPath);
  EXPECT_EQ(k.sign("abc", 3), k.sign("abc", 3));
  EXPECT_NE(k.sign("abc", 3), k.sign("abd", 3));
}

TEST(SigningKey, GeneratesRsa3072WithExponent3) {
  const SigningKey g = SigningKey::generate();
  const TempFile f(g.to_pem());
  const std::string text = run_host_command("openssl rsa -in '" + f.path() + "' -text -noout");
  EXPECT_NE(text.find("Private-Key: (3072 bit"), std::string::npos) << text.substr(0, 80);
  EXPECT_NE(text.find("publicExponent: 3 (0x3)"), std::string::npos);
}

TEST(SigningKey, RefusesExponent65537) {
  const std::string pem = run_host_command(
      "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 2>/dev/null");
  EXPECT_THROW(SigningKey::from_pem(pem), std::runtime_error);
}

TEST(SigningKey, Refuses2048BitModulus) {
  const std::string pem = run_host_command(
      "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
      "-pkeyopt rsa_keygen_pubexp:3 2>/dev/null");
  EXPECT_THROW(SigningKey::from_pem(pem), std::runtime_error);
}

TEST(SigningKey, RefusesTextWithoutPrivateKey) {
  EXPECT_THROW(SigningKey::from_pem("not a key"), std::runtime_error);
  const std::string pub = run_host_command("openssl pkey -in '" + kKeyPath + "' -pubout");
  EXPECT_THROW(SigningKey::from_pem(pub), std::runtime_error);
}

TEST(SigningKey, LoadOfMissingFileThrows) {
  EXPECT_THROW(SigningKey::load(kKeyPath + ".missing"), std::runtime_error);
}

}  // namespace
}  // namespace sgxref::sign
