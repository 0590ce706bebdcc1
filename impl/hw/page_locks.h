// File: the architectural locks of SDM vol. 3D 41.1.5 ("Concurrent Operation
// Restrictions"): each leaf holds each operand page Exclusive or Shared for its whole
// duration; the SECS also has a measurement lock (EADD/EEXTEND/EINIT exclude each
// other) and a tracking lock (ETRACK); the SGX2 page leaves exclude each other on a
// page. A leaf that cannot take one answers #GP or SGX_EPC_PAGE_CONFLICT; nobody waits.
#pragma once

#include <cstdint>

namespace sgxref::hw {

struct PageLockState {
  uint16_t shared = 0;
  bool exclusive = false;
  bool sgx2 = false;         // an SGX2 page leaf (EACCEPT*, EMODPE, EMODPR, EMODT) holds it
  bool measurement = false;  // SECS only
  bool tracking = false;     // SECS only

  bool free() const { return shared == 0 && !exclusive; }
};

enum class LockKind : uint8_t { kShared, kExclusive, kSgx2, kMeasurement, kTracking };

}  // namespace sgxref::hw
