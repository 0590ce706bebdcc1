// File: incremental SHA-256 over OpenSSL's EVP interface (MRENCLAVE, MRSIGNER).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

struct evp_md_ctx_st;

namespace sgxref::hw {

using Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  Sha256(const Sha256& other);
  Sha256& operator=(const Sha256& other);
  ~Sha256();

  void update(const void* data, size_t n);
  // The digest of everything so far; the running state is left untouched.
  Digest peek() const;

  static Digest of(const void* data, size_t n);

 private:
  evp_md_ctx_st* ctx_;
};

}  // namespace sgxref::hw
