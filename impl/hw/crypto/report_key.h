// File: the report keys. EREPORT MACs a REPORT under the report key of the target
// enclave named by TARGETINFO (the key EGETKEY(REPORT_KEY) gives that enclave, so both
// must derive it here). The package values it depends on (a root secret, CR_CPUSVN,
// CR_REPORT_KEYID) come from Config::seed, so a run replays bit for bit; docs/hw.md
// ("Report keys") states the derivation.
#pragma once

#include <array>
#include <cstdint>

#include "hw/crypto/cmac.h"
#include "hw/crypto/sha256.h"
#include "uapi/report.h"

namespace sgxref::hw {

// The target enclave's identity as TARGETINFO (or, for EGETKEY, its own SECS) gives it.
struct ReportKeyTarget {
  Digest mrenclave{};
  uapi::ReportAttributes attributes{};
  uint32_t miscselect = 0;
  std::array<uint8_t, 64> config_id{};
  uint16_t config_svn = 0;
};

class ReportKeys {
 public:
  using KeyId = std::array<uint8_t, 32>;
  using CpuSvn = std::array<uint8_t, 16>;

  // This processor's CR_CPUSVN: the same on every machine.
  static constexpr CpuSvn kCpuSvn = {0x0E, 0x0E, 0x02, 0x04, 0x01, 0x80, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

  explicit ReportKeys(uint64_t seed);

  // CR_REPORT_KEYID, which EREPORT copies into REPORT.KEYID.
  const KeyId& key_id() const { return key_id_; }
  // The report key of `target`: AES-128-CMAC under the root secret of the key
  // dependencies block (KEYNAME = REPORT_KEY, the target's fields, KEYID, CPUSVN).
  CmacKey key_for(const ReportKeyTarget& target) const;

 private:
  CmacKey root_{};
  KeyId key_id_{};
};

}  // namespace sgxref::hw
