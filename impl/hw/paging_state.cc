#include "hw/paging_state.h"

#include <cstring>

#include "hw/crypto/sha256.h"

namespace sgxref::hw {

MacHeader blank_mac_header() {
  MacHeader h;
  // Every byte belongs to a field zeroed below.
  static_assert(sizeof h == sizeof h.eid + sizeof h.secinfo + sizeof h.linaddr +
                                sizeof h.pcmd_reserved + sizeof h.zero);
  h.eid = 0;
  h.secinfo = {};
  h.linaddr = 0;
  std::memset(h.pcmd_reserved, 0, sizeof h.pcmd_reserved);
  std::memset(h.zero, 0, sizeof h.zero);
  return h;
}

uapi::Pcmd blank_pcmd() {
  uapi::Pcmd p;
  // Every byte belongs to a field zeroed below.
  static_assert(sizeof p == sizeof p.secinfo + sizeof p.enclave_id + sizeof p.reserved +
                                sizeof p.mac);
  p.secinfo = {};
  p.enclave_id = 0;
  std::memset(p.reserved, 0, sizeof p.reserved);
  std::memset(p.mac, 0, sizeof p.mac);
  return p;
}

AesGcmPage::Key derive_base_pk(uint64_t seed) {
  static constexpr char kLabel[] = "sgxref CR_BASE_PK";
  uint8_t input[sizeof kLabel - 1 + 8];
  std::memcpy(input, kLabel, sizeof kLabel - 1);
  for (int i = 0; i < 8; ++i) input[sizeof kLabel - 1 + size_t(i)] = uint8_t(seed >> (8 * i));
  const Digest d = Sha256::of(input, sizeof input);
  AesGcmPage::Key key;
  std::memcpy(key.data(), d.data(), key.size());
  return key;
}

}  // namespace sgxref::hw
