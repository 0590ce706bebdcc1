// File: one logical processor. The thread driving it executes ENCLS leaves (kernel
// side) or ENCLU leaves and enclave code (user side). Operands are what the leaf
// takes in RBX/RCX/RDX: physical addresses for ENCLS (see address.h).
#pragma once

#include <cstdint>

#include "hw/address.h"
#include "hw/crypto/sha256.h"
#include "hw/fault.h"
#include "hw/leaf.h"

namespace sgxref::hw {

class Machine;

class Cpu {
 public:
  Cpu(Machine& m, uint32_t id) : m_(m), id_(id) {}
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  uint32_t id() const { return id_; }
  bool in_enclave_mode() const { return enclave_mode_; }

  // ENCLS. In enclave mode every ENCLS leaf is #UD.
  Result ecreate(PAddr pageinfo, PAddr epc) {
    return finish(Leaf::kEcreate, enclave_mode_ ? Result::ud() : do_ecreate(pageinfo, epc));
  }
  Result eadd(PAddr pageinfo, PAddr epc) {
    return finish(Leaf::kEadd, enclave_mode_ ? Result::ud() : do_eadd(pageinfo, epc));
  }
  Result eextend(PAddr secs, PAddr chunk) {
    return finish(Leaf::kEextend, enclave_mode_ ? Result::ud() : do_eextend(secs, chunk));
  }
  Result einit(PAddr sigstruct, PAddr secs, PAddr token) {
    return finish(Leaf::kEinit, enclave_mode_ ? Result::ud() : do_einit(sigstruct, secs, token));
  }
  Result eremove(PAddr epc) {
    return finish(Leaf::kEremove, enclave_mode_ ? Result::ud() : do_eremove(epc));
  }
  Result epa(uint64_t rbx, PAddr epc) {
    return finish(Leaf::kEpa, enclave_mode_ ? Result::ud() : do_epa(rbx, epc));
  }
  // EDBGRD leaves the 8 bytes read in `data` (RBX).
  Result edbgrd(PAddr addr, uint64_t& data) {
    return finish(Leaf::kEdbgrd, enclave_mode_ ? Result::ud() : do_edbgrd(addr, data));
  }
  Result edbgwr(PAddr addr, uint64_t data) {
    return finish(Leaf::kEdbgwr, enclave_mode_ ? Result::ud() : do_edbgwr(addr, data));
  }

  // Launch control: this logical processor's IA32_SGXLEPUBKEYHASH0..3 MSRs.
  void write_lepubkeyhash(const Digest& hash) { lepubkeyhash_ = hash; }
  const Digest& lepubkeyhash() const { return lepubkeyhash_; }

 private:
  // Records the leaf's outcome in the machine's counters and returns it.
  Result finish(Leaf leaf, const Result& r);

  Result do_ecreate(PAddr pageinfo, PAddr epc);
  Result do_eadd(PAddr pageinfo, PAddr epc);
  Result do_eextend(PAddr secs, PAddr chunk);
  Result do_einit(PAddr sigstruct, PAddr secs, PAddr token);
  Result do_eremove(PAddr epc);
  Result do_epa(uint64_t rbx, PAddr epc);
  Result do_edbgrd(PAddr addr, uint64_t& data);
  Result do_edbgwr(PAddr addr, uint64_t data);

  Machine& m_;
  uint32_t id_;
  bool enclave_mode_ = false;
  Digest lepubkeyhash_{};
};

}  // namespace sgxref::hw
