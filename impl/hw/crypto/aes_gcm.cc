#include "hw/crypto/aes_gcm.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>

namespace sgxref::hw {

namespace {

// OpenSSL reports failure here only on allocation or programming errors; the emulator
// cannot continue meaningfully after either.
void check(int ok) {
  if (ok != 1) std::abort();
}

using Iv = std::array<uint8_t, 12>;

// The version shifted left by 32 bits as a 96-bit little-endian number (the x86-64
// host's order), stored in the two pieces the IV is then loaded in: stores that do not
// match the loads that follow stall them.
Iv iv_of(uint64_t version) {
  const uint64_t low = version << 32;
  const uint32_t high = uint32_t(version >> 32);
  Iv iv;
  std::memcpy(iv.data(), &low, sizeof low);
  std::memcpy(iv.data() + sizeof low, &high, sizeof high);
  return iv;
}

// One EVP context kept keyed across calls. A thread that alternates between machines
// (tests build several) re-keys on each switch; one machine's traffic never does.
class KeyedContext {
 public:
  explicit KeyedContext(bool encrypt) : ctx_(EVP_CIPHER_CTX_new()), encrypt_(encrypt) {
    check(ctx_ != nullptr);
  }
  ~KeyedContext() { EVP_CIPHER_CTX_free(ctx_); }
  KeyedContext(const KeyedContext&) = delete;
  KeyedContext& operator=(const KeyedContext&) = delete;

  // The context, reset to start a message under `key` with `iv`.
  EVP_CIPHER_CTX* start(const AesGcmPage::Key& key, const Iv& iv) {
    if (!keyed_ || key != key_) {
      check(EVP_CipherInit_ex(ctx_, EVP_aes_128_gcm(), nullptr, key.data(), iv.data(),
                              encrypt_ ? 1 : 0));
      key_ = key;
      keyed_ = true;
    } else {
      check(EVP_CipherInit_ex(ctx_, nullptr, nullptr, nullptr, iv.data(), encrypt_ ? 1 : 0));
    }
    return ctx_;
  }

 private:
  EVP_CIPHER_CTX* ctx_;
  bool encrypt_;
  bool keyed_ = false;
  AesGcmPage::Key key_{};
};

thread_local KeyedContext t_seal(true);
thread_local KeyedContext t_open(false);

}  // namespace

AesGcmPage::Mac AesGcmPage::seal(uint64_t version, const Header& header, const uint8_t* plain,
                                 uint8_t* cipher) const {
  EVP_CIPHER_CTX* ctx = t_seal.start(key_, iv_of(version));
  int len = 0;
  check(EVP_EncryptUpdate(ctx, nullptr, &len, header.data(), int(header.size())));
  check(EVP_EncryptUpdate(ctx, cipher, &len, plain, int(kPageSize)));
  check(EVP_EncryptFinal_ex(ctx, cipher + len, &len));
  Mac mac{};
  check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, int(mac.size()), mac.data()));
  return mac;
}

bool AesGcmPage::open(uint64_t version, const Header& header, const uint8_t* cipher,
                      const Mac& mac, uint8_t* plain) const {
  EVP_CIPHER_CTX* ctx = t_open.start(key_, iv_of(version));
  int len = 0;
  check(EVP_DecryptUpdate(ctx, nullptr, &len, header.data(), int(header.size())));
  check(EVP_DecryptUpdate(ctx, plain, &len, cipher, int(kPageSize)));
  // The tag control takes a non-const buffer but only reads it.
  Mac expected = mac;
  check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, int(expected.size()), expected.data()));
  return EVP_DecryptFinal_ex(ctx, plain + len, &len) == 1;
}

}  // namespace sgxref::hw
