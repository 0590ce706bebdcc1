#include "hw/crypto/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace sgxref::hw {

namespace {
// OpenSSL reports failure only on allocation or programming errors; the emulator
// cannot continue meaningfully after either.
void check(int ok) {
  if (ok != 1) std::abort();
}
}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  check(ctx_ != nullptr);
  check(EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr));
}

Sha256::Sha256(const Sha256& other) : ctx_(EVP_MD_CTX_new()) {
  check(ctx_ != nullptr);
  check(EVP_MD_CTX_copy_ex(ctx_, other.ctx_));
}

Sha256& Sha256::operator=(const Sha256& other) {
  if (this != &other) check(EVP_MD_CTX_copy_ex(ctx_, other.ctx_));
  return *this;
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(const void* data, size_t n) { check(EVP_DigestUpdate(ctx_, data, n)); }

Digest Sha256::peek() const {
  Sha256 copy(*this);
  Digest d{};
  unsigned len = 0;
  check(EVP_DigestFinal_ex(copy.ctx_, d.data(), &len));
  return d;
}

Digest Sha256::of(const void* data, size_t n) {
  Sha256 h;
  h.update(data, n);
  return h.peek();
}

}  // namespace sgxref::hw
