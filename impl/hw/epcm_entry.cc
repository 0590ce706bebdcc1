#include "hw/epcm_entry.h"

namespace sgxref::hw {

std::ostream& operator<<(std::ostream& os, const EpcmEntry& e) {
  if (!e.valid) return os << "{invalid}";
  os << "{" << uapi::to_string(e.type) << " " << (e.r ? 'R' : '-') << (e.w ? 'W' : '-')
     << (e.x ? 'X' : '-');
  if (e.blocked) os << " BLOCKED";
  if (e.pending) os << " PENDING";
  if (e.modified) os << " MODIFIED";
  if (e.pr) os << " PR";
  if (e.stamped) os << " stamp=" << e.stamp;
  return os << " secs=" << e.secs << " addr=0x" << std::hex << e.enclave_address << std::dec
            << "}";
}

}  // namespace sgxref::hw
