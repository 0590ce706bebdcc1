// File: builds enclaves on an emulated machine the way a driver would, one leaf at a
// time: ECREATE of a SECS into a chosen EPC slot, EADD of REG and TCS pages, EEXTEND of
// whole pages. Each call returns the leaf's Result, so a test can build up to the state
// it needs and assert on any step. Operand blocks live in the builder's own RAM frames,
// so builders on different threads do not share them.
#pragma once

#include <cstdint>

#include "hw/machine.h"
#include "testlib/kernel_memory.h"
#include "uapi/secs.h"
#include "uapi/tcs.h"

namespace sgxref::testlib {

// A SECS ECREATE accepts with the default hw::Config: [base, base+size) 64-bit and
// DEBUG, XFRM x87|SSE, one-page SSA frames, MISCSELECT 0.
uapi::Secs make_secs(uint64_t base, uint64_t size);

// A TCS EADD accepts: one SSA frame at `ossa`, entry at `oentry` (both offsets from the
// enclave base), FS/GS limits all-ones.
uapi::Tcs make_tcs(uint64_t ossa, uint64_t oentry);

class EnclaveBuilder {
 public:
  // Builds (or adds to) the enclave whose SECS is in EPC slot `secs_slot`, issuing
  // every leaf on logical CPU `cpu`.
  EnclaveBuilder(hw::Machine& m, uint32_t secs_slot, uint32_t cpu = 0);

  uint32_t secs_slot() const { return secs_slot_; }
  hw::PAddr secs_addr() const { return m_.epc_addr(secs_slot_); }

  // ECREATE of `secs` into the SECS slot.
  hw::Result create(const uapi::Secs& secs);
  // EADD of the 4 KiB `page` at linear address `linaddr` into EPC slot `slot`, with
  // SECINFO.FLAGS `secinfo_flags` (page type and permissions, uapi::secinfo_flag).
  hw::Result add(uint32_t slot, uint64_t linaddr, const void* page, uint64_t secinfo_flags);
  // EEXTEND of all 16 chunks of the page in `slot`; the first result that is not
  // success, or success.
  hw::Result extend(uint32_t slot);
  // add() then, if it succeeded, extend().
  hw::Result add_measured(uint32_t slot, uint64_t linaddr, const void* page,
                          uint64_t secinfo_flags);

 private:
  hw::Machine& m_;
  uint32_t secs_slot_;
  uint32_t cpu_;
  KernelMemory mem_;
  hw::PAddr pageinfo_;
  hw::PAddr secinfo_;
  hw::PAddr source_;
};

}  // namespace sgxref::testlib
