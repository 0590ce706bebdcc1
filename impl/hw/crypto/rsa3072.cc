#include "hw/crypto/rsa3072.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace sgxref::hw {

namespace {

using uapi::kRsa3072Bytes;

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct BnCtxFree {
  void operator()(BN_CTX* p) const { BN_CTX_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};

using Bn = std::unique_ptr<BIGNUM, BnFree>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// OpenSSL fails these calls only when it cannot allocate; the emulator cannot continue
// meaningfully after that. Verdicts on the operands never go through here.
void check(bool ok) {
  if (!ok) std::abort();
}

Bn new_bn() {
  Bn b(BN_new());
  check(b != nullptr);
  return b;
}

Bn from_le(const uint8_t (&v)[kRsa3072Bytes]) {
  Bn b(BN_lebin2bn(v, int(kRsa3072Bytes), nullptr));
  check(b != nullptr);
  return b;
}

// The public key (n, e), or nothing when OpenSSL will not take these numbers as one.
Pkey public_key(const BIGNUM* n, const BIGNUM* e) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  check(bld != nullptr);
  check(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n) == 1);
  check(OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e) == 1);
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  check(params != nullptr);
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  check(ctx != nullptr);
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return Pkey(key);
}

}  // namespace

bool rsa3072_verify(const uint8_t (&modulus_le)[kRsa3072Bytes], uint32_t exponent,
                    const uint8_t (&signature_le)[kRsa3072Bytes], const void* msg, size_t n) {
  const Bn modulus = from_le(modulus_le);
  const Bn e = new_bn();
  check(BN_set_word(e.get(), exponent) == 1);
  bool ok = false;
  if (const Pkey key = public_key(modulus.get(), e.get())) {
    // OpenSSL takes the signature as a big-endian octet string.
    uint8_t sig_be[kRsa3072Bytes];
    std::reverse_copy(std::begin(signature_le), std::end(signature_le), sig_be);
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
    check(md != nullptr);
    ok = EVP_DigestVerifyInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, key.get(),
                                 nullptr) == 1 &&
         EVP_DigestVerifyUpdate(md.get(), msg, n) == 1 &&
         EVP_DigestVerifyFinal(md.get(), sig_be, sizeof sig_be) == 1;
  }
  // A refused signature leaves reasons on this thread's error queue; they are answered
  // by `ok` and must not leak into an unrelated later OpenSSL call.
  ERR_clear_error();
  return ok;
}

bool rsa3072_quotients_match(const uint8_t (&modulus_le)[kRsa3072Bytes],
                             const uint8_t (&signature_le)[kRsa3072Bytes],
                             const uint8_t (&q1_le)[kRsa3072Bytes],
                             const uint8_t (&q2_le)[kRsa3072Bytes]) {
  const Bn modulus = from_le(modulus_le);
  if (BN_is_zero(modulus.get())) return false;
  const Bn sig = from_le(signature_le);
  std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
  check(ctx != nullptr);
  // sig^2 = Q1*N + R with 0 <= R < N, so sig^3 - Q1*sig*N = sig*R and Q2 = floor(sig*R / N).
  const Bn sig2 = new_bn(), q1 = new_bn(), r = new_bn(), sig_r = new_bn(), q2 = new_bn();
  check(BN_sqr(sig2.get(), sig.get(), ctx.get()) == 1);
  check(BN_div(q1.get(), r.get(), sig2.get(), modulus.get(), ctx.get()) == 1);
  check(BN_mul(sig_r.get(), sig.get(), r.get(), ctx.get()) == 1);
  check(BN_div(q2.get(), nullptr, sig_r.get(), modulus.get(), ctx.get()) == 1);
  return BN_cmp(q1.get(), from_le(q1_le).get()) == 0 && BN_cmp(q2.get(), from_le(q2_le).get()) == 0;
}

bool sigstruct_signature_valid(const uapi::SigStruct& s) {
  uint8_t msg[sizeof s.header + sizeof s.body];
  std::memcpy(msg, &s.header, sizeof s.header);
  std::memcpy(msg + sizeof s.header, &s.body, sizeof s.body);
  return rsa3072_verify(s.modulus, s.exponent, s.signature, msg, sizeof msg) &&
         rsa3072_quotients_match(s.modulus, s.signature, s.q1, s.q2);
}

}  // namespace sgxref::hw
