#include "hw/crypto/cmac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdlib>

namespace sgxref::hw {

namespace {

// OpenSSL reports failure here only on allocation or programming errors; the emulator
// cannot continue meaningfully after either.
void check(int ok) {
  if (ok != 1) std::abort();
}

// The fetched algorithm is immutable and may be shared by threads; contexts may not.
EVP_MAC* cmac_algorithm() {
  static EVP_MAC* const mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
    if (m == nullptr) std::abort();
    return m;
  }();
  return mac;
}

}  // namespace

CmacTag aes128_cmac(const CmacKey& key, const void* data, size_t n) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(cmac_algorithm());
  if (ctx == nullptr) std::abort();
  char cipher[] = "AES-128-CBC";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
      OSSL_PARAM_construct_end()};
  check(EVP_MAC_init(ctx, key.data(), key.size(), params));
  check(EVP_MAC_update(ctx, static_cast<const unsigned char*>(data), n));
  CmacTag tag{};
  size_t len = 0;
  check(EVP_MAC_final(ctx, tag.data(), &len, tag.size()));
  EVP_MAC_CTX_free(ctx);
  if (len != tag.size()) std::abort();
  return tag;
}

}  // namespace sgxref::hw
