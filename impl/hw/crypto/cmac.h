// File: AES-128-CMAC (NIST SP 800-38B, RFC 4493), the MAC of EREPORT's REPORT and the
// PRF its report keys are derived with. OpenSSL 3's EVP_MAC "CMAC" over AES-128-CBC.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace sgxref::hw {

using CmacKey = std::array<uint8_t, 16>;
using CmacTag = std::array<uint8_t, 16>;

CmacTag aes128_cmac(const CmacKey& key, const void* data, size_t n);

}  // namespace sgxref::hw
