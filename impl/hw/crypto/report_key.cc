#include "hw/crypto/report_key.h"

#include <cstring>
#include <string>

namespace sgxref::hw {

namespace {

// SHA-256 of `label` followed by `seed` as 8 little-endian bytes.
Digest seeded(const std::string& label, uint64_t seed) {
  std::string input = label;
  for (int i = 0; i < 8; ++i) input.push_back(char(uint8_t(seed >> (8 * i))));
  return Sha256::of(input.data(), input.size());
}

constexpr uint16_t kKeyNameReport = 3;  // KEYREQUEST.KEYNAME REPORT_KEY

// The key dependencies block, packed little-endian. Fields the SDM fixes at zero for a
// report key (ISVPRODID, ISVSVN, MRSIGNER, the masks, OWNEREPOCH, SEAL_KEY_FUSES) add
// nothing and are left out.
#pragma pack(push, 1)
struct Dependencies {
  uint16_t key_name;
  uint16_t config_svn;
  uint32_t miscselect;
  uapi::ReportAttributes attributes;
  uint8_t mrenclave[32];
  uint8_t key_id[32];
  uint8_t cpusvn[16];
  uint8_t config_id[64];
};
#pragma pack(pop)
static_assert(sizeof(Dependencies) == 168);

}  // namespace

ReportKeys::ReportKeys(uint64_t seed) {
  const Digest root = seeded("sgxref report root key", seed);
  std::memcpy(root_.data(), root.data(), root_.size());
  key_id_ = seeded("sgxref CR_REPORT_KEYID", seed);
}

CmacKey ReportKeys::key_for(const ReportKeyTarget& target) const {
  Dependencies d{};
  d.key_name = kKeyNameReport;
  d.config_svn = target.config_svn;
  d.miscselect = target.miscselect;
  d.attributes = target.attributes;
  std::memcpy(d.mrenclave, target.mrenclave.data(), sizeof d.mrenclave);
  std::memcpy(d.key_id, key_id_.data(), sizeof d.key_id);
  std::memcpy(d.cpusvn, kCpuSvn.data(), sizeof d.cpusvn);
  std::memcpy(d.config_id, target.config_id.data(), sizeof d.config_id);
  return aes128_cmac(root_, &d, sizeof d);
}

}  // namespace sgxref::hw
