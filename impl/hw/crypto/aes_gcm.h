// File: AES-128-GCM sealing of one 4 KiB EPC page under a 128-byte header passed as
// additional data: the cipher EWB writes pages out with and ELDB/ELDU verify them by
// (SDM vol. 3D "EWB", "ELDB/ELDU": AES_GCM_ENC(CR_BASE_PK, TMP_VER << 32, TMP_HEADER,
// 128, page, 4096)). OpenSSL's EVP interface; each thread keeps one encryption and one
// decryption context and re-keys them only when it sees another key, so a call
// allocates nothing.
#pragma once

#include <array>
#include <cstdint>

#include "hw/address.h"

namespace sgxref::hw {

class AesGcmPage {
 public:
  using Key = std::array<uint8_t, 16>;
  using Mac = std::array<uint8_t, 16>;
  using Header = std::array<uint8_t, 128>;

  explicit AesGcmPage(const Key& key) : key_(key) {}

  // Encrypts kPageSize bytes of `plain` into `cipher` (they may be the same buffer) and
  // returns the tag. The 96-bit IV is the version shifted left by 32 bits: bytes 0..3
  // zero, bytes 4..11 the version, little endian.
  Mac seal(uint64_t version, const Header& header, const uint8_t* plain,
           uint8_t* cipher) const;
  // Decrypts kPageSize bytes of `cipher` into `plain` (they may be the same buffer) and
  // returns whether `mac` matches. On a mismatch `plain` holds unauthenticated bytes the
  // caller must not expose.
  bool open(uint64_t version, const Header& header, const uint8_t* cipher, const Mac& mac,
            uint8_t* plain) const;

 private:
  Key key_;
};

}  // namespace sgxref::hw
