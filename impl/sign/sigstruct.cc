#include "sign/sigstruct.h"

#include <openssl/bn.h>

#include <cstring>
#include <memory>
#include <stdexcept>

namespace sgxref::sign {

namespace {

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct BnCtxFree {
  void operator()(BN_CTX* p) const { BN_CTX_free(p); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

void check(int ok) {
  if (ok != 1) throw std::runtime_error("sigstruct: OpenSSL BIGNUM arithmetic failed");
}

Bn new_bn() {
  Bn b(BN_new());
  if (!b) throw std::runtime_error("sigstruct: out of memory");
  return b;
}

Bn from_le(const uint8_t* v) {
  Bn b(BN_lebin2bn(v, int(uapi::kRsa3072Bytes), nullptr));
  if (!b) throw std::runtime_error("sigstruct: out of memory");
  return b;
}

void to_le(const BIGNUM* b, uint8_t* out) {
  if (BN_bn2lebinpad(b, out, int(uapi::kRsa3072Bytes)) != int(uapi::kRsa3072Bytes)) {
    throw std::runtime_error("sigstruct: quotient does not fit 384 bytes");
  }
}

// Q1 = floor(sig^2 / N), Q2 = floor((sig^3 - Q1*sig*N) / N), straight from the SDM's
// formulas, so the processor can compute sig^3 mod N with two multiplications.
void write_quotients(uapi::SigStruct& s) {
  const Bn n = from_le(s.modulus), sig = from_le(s.signature);
  std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
  if (!ctx) throw std::runtime_error("sigstruct: out of memory");
  const Bn sig2 = new_bn(), sig3 = new_bn(), q1 = new_bn(), t = new_bn(), q2 = new_bn();
  check(BN_sqr(sig2.get(), sig.get(), ctx.get()));
  check(BN_div(q1.get(), nullptr, sig2.get(), n.get(), ctx.get()));
  check(BN_mul(sig3.get(), sig2.get(), sig.get(), ctx.get()));
  check(BN_mul(t.get(), q1.get(), sig.get(), ctx.get()));
  check(BN_mul(t.get(), t.get(), n.get(), ctx.get()));
  check(BN_sub(t.get(), sig3.get(), t.get()));
  check(BN_div(q2.get(), nullptr, t.get(), n.get(), ctx.get()));
  to_le(q1.get(), s.q1);
  to_le(q2.get(), s.q2);
}

}  // namespace

uapi::SigStruct make_sigstruct(const SigningKey& key, const SigStructParams& p) {
  uapi::SigStruct s{};
  std::memcpy(s.header.header1, uapi::kSigStructHeader1, sizeof s.header.header1);
  s.header.vendor = p.vendor;
  s.header.date = p.date;
  std::memcpy(s.header.header2, uapi::kSigStructHeader2, sizeof s.header.header2);
  s.header.swdefined = p.swdefined;
  s.body.miscselect = p.miscselect;
  s.body.misc_mask = p.misc_mask;
  std::memcpy(s.body.isv_family_id, p.isv_family_id.data(), sizeof s.body.isv_family_id);
  s.body.attributes = p.attributes;
  s.body.xfrm = p.xfrm;
  s.body.attributes_mask = p.attributes_mask;
  s.body.xfrm_mask = p.xfrm_mask;
  std::memcpy(s.body.mrenclave, p.mrenclave.data(), sizeof s.body.mrenclave);
  std::memcpy(s.body.isv_ext_prod_id, p.isv_ext_prod_id.data(), sizeof s.body.isv_ext_prod_id);
  s.body.isv_prod_id = p.isv_prod_id;
  s.body.isv_svn = p.isv_svn;
  sign_sigstruct(key, s);
  return s;
}

void sign_sigstruct(const SigningKey& key, uapi::SigStruct& s) {
  const Rsa3072Le modulus = key.modulus();
  std::memcpy(s.modulus, modulus.data(), modulus.size());
  s.exponent = 3;
  uint8_t msg[sizeof s.header + sizeof s.body];
  std::memcpy(msg, &s.header, sizeof s.header);
  std::memcpy(msg + sizeof s.header, &s.body, sizeof s.body);
  const Rsa3072Le sig = key.sign(msg, sizeof msg);
  std::memcpy(s.signature, sig.data(), sig.size());
  write_quotients(s);
}

}  // namespace sgxref::sign
