#include "hw/paging_state.h"

#include <cstring>

#include "hw/crypto/sha256.h"

namespace sgxref::hw {

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
