#include "sign/enclave_measurement.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>

namespace sgxref::sign {

namespace {

void check(int ok) {
  if (ok != 1) std::abort();  // only allocation failure or misuse makes EVP fail here
}

void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}

}  // namespace

EnclaveMeasurement::EnclaveMeasurement(uint32_t ssa_frame_size, uint64_t size)
    : ctx_(EVP_MD_CTX_new()) {
  check(ctx_ != nullptr);
  check(EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr));
  uint8_t b[64] = {};
  std::memcpy(b, "ECREATE", 7);
  for (int i = 0; i < 4; ++i) b[8 + i] = uint8_t(ssa_frame_size >> (8 * i));
  put64(b + 12, size);
  block(b, sizeof b);
}

EnclaveMeasurement::~EnclaveMeasurement() { EVP_MD_CTX_free(ctx_); }

void EnclaveMeasurement::add(uint64_t offset, uint64_t secinfo_flags) {
  uint8_t b[64] = {};
  std::memcpy(b, "EADD", 4);
  put64(b + 8, offset);
  put64(b + 16, secinfo_flags);  // SECINFO's first 48 bytes: FLAGS then 40 zero bytes
  block(b, sizeof b);
}

void EnclaveMeasurement::extend(uint64_t offset, const uint8_t* chunk256) {
  uint8_t b[64] = {};
  std::memcpy(b, "EEXTEND", 7);
  put64(b + 8, offset);
  block(b, sizeof b);
  block(chunk256, 256);
}

void EnclaveMeasurement::add_measured(uint64_t offset, uint64_t secinfo_flags,
                                      const uint8_t* page) {
  add(offset, secinfo_flags);
  for (uint64_t c = 0; c < 4096; c += 256) extend(offset + c, page + c);
}

std::array<uint8_t, 32> EnclaveMeasurement::mrenclave() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  check(copy != nullptr);
  check(EVP_MD_CTX_copy_ex(copy, ctx_));
  std::array<uint8_t, 32> d{};
  unsigned len = 0;
  check(EVP_DigestFinal_ex(copy, d.data(), &len));
  EVP_MD_CTX_free(copy);
  return d;
}

void EnclaveMeasurement::block(const uint8_t* data, size_t n) {
  check(EVP_DigestUpdate(ctx_, data, n));
}

}  // namespace sgxref::sign
