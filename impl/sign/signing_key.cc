#include "sign/signing_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sgxref::sign {

namespace {

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

constexpr int kBits = 3072;
constexpr unsigned long kExponent = 3;

[[noreturn]] void fail(const std::string& what) {
  ERR_clear_error();
  throw std::runtime_error("signing key: " + what);
}

Bn bn_param(const EVP_PKEY* key, const char* name) {
  BIGNUM* b = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &b) != 1) fail(std::string("no RSA parameter ") + name);
  return Bn(b);
}

// SIGSTRUCT has room for exactly one key shape.
void require_sigstruct_shape(const EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA") != 1) fail("not an RSA key");
  if (EVP_PKEY_get_bits(key) != kBits) fail("modulus is not 3072 bits");
  if (BN_is_word(bn_param(key, OSSL_PKEY_PARAM_RSA_E).get(), kExponent) != 1) {
    fail("public exponent is not 3");
  }
}

// Encrypted keys are refused rather than prompting on the terminal.
int no_passphrase(char*, int, int, void*) { return 0; }

}  // namespace

void SigningKey::Free::operator()(evp_pkey_st* k) const { EVP_PKEY_free(k); }

SigningKey::SigningKey(evp_pkey_st* key) : key_(key) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

SigningKey SigningKey::from_pem(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
  if (!bio) fail("out of memory");
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (k == nullptr) fail("no PEM private key");
  SigningKey key(k);
  require_sigstruct_shape(k);
  return key;
}

SigningKey SigningKey::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("signing key: cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return from_pem(text.str());
}

SigningKey SigningKey::generate() {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  Bn e(BN_new());
  if (!ctx || !e || BN_set_word(e.get(), kExponent) != 1) fail("out of memory");
  EVP_PKEY* k = nullptr;
  if (EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), kBits) != 1 ||
      EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()) != 1 ||
      EVP_PKEY_generate(ctx.get(), &k) != 1) {
    fail("key generation failed");
  }
  return SigningKey(k);
}

std::string SigningKey::to_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    fail("cannot write PEM");
  }
  std::string out;
  char buf[1024];
  int n = 0;
  while ((n = BIO_read(bio.get(), buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  return out;
}

Rsa3072Le SigningKey::modulus() const {
  Rsa3072Le out{};
  if (BN_bn2lebinpad(bn_param(key_.get(), OSSL_PKEY_PARAM_RSA_N).get(), out.data(),
                     int(out.size())) != int(out.size())) {
    fail("modulus does not fit 384 bytes");
  }
  return out;
}

Rsa3072Le SigningKey::sign(const void* data, size_t n) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  uint8_t sig_be[uapi::kRsa3072Bytes];
  size_t len = sizeof sig_be;
  if (!md ||
      EVP_DigestSignInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, key_.get(), nullptr) != 1 ||
      EVP_DigestSign(md.get(), sig_be, &len, static_cast<const unsigned char*>(data), n) != 1 ||
      len != sizeof sig_be) {
    fail("signing failed");
  }
  Rsa3072Le out{};
  std::reverse_copy(std::begin(sig_be), std::end(sig_be), out.begin());
  return out;
}

}  // namespace sgxref::sign
