#include "uapi_conformance/uapi_describe.h"

#include <cstdio>

namespace sgxref::props {

namespace mu = model::uapi;

void show_args(std::ostream& os, const mu::Sgx2Args& a) {
  os << std::hex << "offset 0x" << a.offset << ", length 0x" << a.length << ", mode 0x" << a.mode
     << ", result " << a.result << ", count " << a.count << (a.bad_pointer ? ", bad pointer" : "")
     << std::dec;
}

std::string describe(const mu::IoctlOutcome& o) {
  return "ret " + std::to_string(o.ret) + " result " + std::to_string(o.result) + " count " +
         std::to_string(o.count);
}

std::string describe(const mu::OpOutcome& o) {
  if (o.exited) return "EEXIT value " + std::to_string(o.value);
  char b[96];
  std::snprintf(b, sizeof b, "exception vector %d code 0x%llx addr 0x%llx", o.vector,
                static_cast<unsigned long long>(o.error_code),
                static_cast<unsigned long long>(o.addr));
  return b;
}

std::ostream& operator<<(std::ostream& os, const mu::EnclaveOp& op) {
  static const char* const kNames[] = {"load",   "store",        "EACCEPT", "EACCEPTCOPY",
                                       "EMODPE", "INIT_TCS_PAGE"};
  os << kNames[int(op.kind)] << " at 0x" << std::hex << op.offset << " arg 0x" << op.arg;
  if (op.kind == mu::EnclaveOp::Kind::kInitTcs) os << " entry 0x" << op.entry;
  if (op.kind == mu::EnclaveOp::Kind::kEacceptCopy) os << " from 0x" << op.source;
  return os << std::dec;
}

}  // namespace sgxref::props
