#include "hw/fault.h"

namespace sgxref::hw {

std::ostream& operator<<(std::ostream& os, const Result& r) {
  switch (r.fault.vector) {
    case Vector::kNone:
      os << uapi::to_string(r.code);
      if (r.cf) os << " (CF)";
      return os;
    case Vector::kUD: return os << "#UD";
    case Vector::kGP: return os << "#GP(0)";
    case Vector::kIntr: return os << "interrupted (AEX)";
    case Vector::kPF:
      return os << "#PF(0x" << std::hex << r.fault.addr << ", ec=0x" << r.fault.error_code
                << std::dec << ")";
  }
  return os << "?";
}

}  // namespace sgxref::hw
