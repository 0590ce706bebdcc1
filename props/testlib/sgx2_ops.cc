#include "testlib/sgx2_ops.h"

#include "hw/cpu.h"
#include "hw/crypto/sha256.h"
#include "hw/inspect.h"
#include "sign/sigstruct.h"
#include "testlib/binding_sigstruct.h"
#include "uapi/secinfo.h"
#include "uapi/sigstruct.h"

namespace sgxref::testlib {

Sgx2Ops::Sgx2Ops(hw::Machine& m, uint32_t cpu)
    : m_(m),
      cpu_(cpu),
      mem_(m),
      pageinfo_(mem_.frame()),
      secinfo_(mem_.frame()),
      sigstruct_(mem_.frame()),
      token_(mem_.frame()) {}

hw::Result Sgx2Ops::eaug(uint32_t secs_slot, uint32_t slot, uint64_t linaddr) {
  const uapi::PageInfo pi{
      .linaddr = linaddr, .srcpge = 0, .secinfo = 0, .secs = m_.epc_addr(secs_slot)};
  mem_.write(pageinfo_, &pi, sizeof pi);
  return m_.cpu(cpu_).eaug(pageinfo_, m_.epc_addr(slot));
}

void Sgx2Ops::put_secinfo(uint64_t flags) {
  uapi::SecInfo si{};
  si.flags = flags;
  mem_.write(secinfo_, &si, sizeof si);
}

hw::Result Sgx2Ops::emodpr(uint32_t slot, uint64_t flags) {
  put_secinfo(flags);
  return m_.cpu(cpu_).emodpr(secinfo_, m_.epc_addr(slot));
}

hw::Result Sgx2Ops::emodt(uint32_t slot, uint64_t flags) {
  put_secinfo(flags);
  return m_.cpu(cpu_).emodt(secinfo_, m_.epc_addr(slot));
}

hw::Result Sgx2Ops::einit(uint32_t secs_slot, const sign::SigningKey& key) {
  const uapi::SigStruct s =
      sign::make_sigstruct(key, binding_params(hw::Inspector(m_).secs(secs_slot)));
  mem_.write(sigstruct_, &s, sizeof s);
  const uapi::EinitToken token{};
  mem_.write(token_, &token, sizeof token);
  const sign::Rsa3072Le n = key.modulus();
  m_.cpu(cpu_).write_lepubkeyhash(hw::Sha256::of(n.data(), n.size()));
  return m_.cpu(cpu_).einit(sigstruct_, m_.epc_addr(secs_slot), token_);
}

}  // namespace sgxref::testlib
