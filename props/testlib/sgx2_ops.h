// File: the kernel side of SGX2 page management from a test, the way the driver's
// fault handler and ioctls issue it: EAUG of a page into an initialized enclave, EMODPR
// and EMODT of a page with given SECINFO flags, and EINIT of an enclave exactly as
// built so far (signed for its current measurement). Each call returns the leaf's
// Result. Operand blocks live in the object's own RAM frames, so objects on different
// threads do not share them.
#pragma once

#include <cstdint>

#include "hw/machine.h"
#include "sign/signing_key.h"
#include "testlib/kernel_memory.h"

namespace sgxref::testlib {

class Sgx2Ops {
 public:
  explicit Sgx2Ops(hw::Machine& m, uint32_t cpu = 0);

  // EAUG of EPC slot `slot` at linear address `linaddr` into the enclave whose SECS is
  // in `secs_slot`.
  hw::Result eaug(uint32_t secs_slot, uint32_t slot, uint64_t linaddr);
  // EMODPR / EMODT of EPC slot `slot` with SECINFO.FLAGS `flags`.
  hw::Result emodpr(uint32_t slot, uint64_t flags);
  hw::Result emodt(uint32_t slot, uint64_t flags);
  // What Linux does for SGX_IOC_ENCLAVE_INIT: sign the enclave in `secs_slot` for its
  // measurement so far with `key` (every ATTRIBUTES, XFRM and MISCSELECT bit bound),
  // write IA32_SGXLEPUBKEYHASH = SHA-256(modulus) on this CPU, then EINIT.
  hw::Result einit(uint32_t secs_slot, const sign::SigningKey& key);

  // Where the SECINFO operand of emodpr/emodt lives, for tests that place their own.
  hw::PAddr secinfo() const { return secinfo_; }

 private:
  void put_secinfo(uint64_t flags);

  hw::Machine& m_;
  uint32_t cpu_;
  KernelMemory mem_;
  hw::PAddr pageinfo_;
  hw::PAddr secinfo_;
  hw::PAddr sigstruct_;
  hw::PAddr token_;
};

}  // namespace sgxref::testlib
