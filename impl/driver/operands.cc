#include "driver/operands.h"

#include "kernel/kernel.h"

namespace sgxref::driver {

namespace {
constexpr uint64_t kSecInfoAt = 64;  // SECINFO is 64-byte aligned
}

hw::PAddr put_pageinfo(Sgx& sgx, hw::LAddr linaddr, hw::PAddr contents, hw::PAddr metadata,
                       hw::PAddr secs) {
  const uapi::PageInfo pi{linaddr, contents, metadata, secs};
  const hw::PAddr at = sgx.cpu_operands();
  sgx.kernel().machine().write(at, &pi, sizeof(pi));
  return at;
}

hw::PAddr put_secinfo(Sgx& sgx, const uapi::SecInfo& secinfo) {
  const hw::PAddr at = sgx.cpu_operands() + kSecInfoAt;
  sgx.kernel().machine().write(at, &secinfo, sizeof(secinfo));
  return at;
}

hw::PAddr put_secinfo(Sgx& sgx, uint64_t flags) {
  uapi::SecInfo s{};
  s.flags = flags;
  return put_secinfo(sgx, s);
}

}  // namespace sgxref::driver
