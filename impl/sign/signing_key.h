// File: an enclave author's RSA-3072 signing key with public exponent 3, the only key
// shape SIGSTRUCT accepts. Loaded from PEM or generated; signs with PKCS#1 v1.5 over
// SHA-256 through OpenSSL's EVP interface. This is user-space tooling (like an SDK's
// signing tool), independent of the emulator: nothing here knows impl/hw.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "uapi/sigstruct.h"

struct evp_pkey_st;

namespace sgxref::sign {

// A little-endian 3072-bit integer, as SIGSTRUCT stores MODULUS, SIGNATURE, Q1 and Q2.
using Rsa3072Le = std::array<uint8_t, uapi::kRsa3072Bytes>;

class SigningKey {
 public:
  // Throw std::runtime_error when the text is not a private key, or the key is not
  // RSA-3072 with exponent 3.
  static SigningKey from_pem(const std::string& pem);
  static SigningKey load(const std::string& path);
  // A fresh key from OpenSSL's default random source.
  static SigningKey generate();

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  // The private key in PKCS#8 PEM, as `openssl genpkey` writes it.
  std::string to_pem() const;
  Rsa3072Le modulus() const;
  // The PKCS#1 v1.5 SHA-256 signature of the bytes, little-endian.
  Rsa3072Le sign(const void* data, size_t n) const;

 private:
  explicit SigningKey(evp_pkey_st* key);
  struct Free {
    void operator()(evp_pkey_st* k) const;
  };
  std::unique_ptr<evp_pkey_st, Free> key_;
};

}  // namespace sgxref::sign
