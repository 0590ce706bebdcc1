// File: paging from a test, the way a driver's reclaimer and fault handler do it: EPA
// of Version Array pages, EBLOCK, ETRACK, EWB into a blob the test keeps (ciphertext,
// PCMD, the address EWB reported), and ELDB/ELDU of a blob, each returning the leaf's
// Result.
// A Blob is plain data, so a test can replay, tamper with or redirect it. Operand
// blocks live in the pager's own RAM frames, so pagers on different threads do not
// share them.
#pragma once

#include <array>
#include <cstdint>

#include "hw/machine.h"
#include "testlib/kernel_memory.h"
#include "uapi/secinfo.h"

namespace sgxref::testlib {

// An evicted page as software keeps it.
struct Blob {
  std::array<uint8_t, hw::kPageSize> page{};  // SRCPGE after EWB: the ciphertext
  uapi::Pcmd pcmd{};                          // SECINFO, ENCLAVEID and MAC
  uint64_t linaddr = 0;                       // PAGEINFO.LINADDR as EWB left it
  hw::PAddr secs = 0;    // PAGEINFO.SECS to reload with: the owner's SECS, 0 for SECS/VA
  hw::PAddr va_slot = 0;  // RDX at EWB, the slot holding the version
};

class Pager {
 public:
  explicit Pager(hw::Machine& m, uint32_t cpu = 0);

  // The address of slot `index` (0..511) of the VA page in EPC slot `va_page`.
  hw::PAddr va_slot(uint32_t va_page, uint32_t index) const;

  hw::Result epa(uint32_t slot);
  hw::Result eblock(uint32_t slot);
  // ETRACK of the enclave whose SECS is in EPC slot `secs_slot`.
  hw::Result etrack(uint32_t secs_slot);
  // EWB of EPC slot `slot` with its version going to `va_slot`. `out` receives the blob
  // whenever the page was written out (success, or SGX_VA_SLOT_OCCUPIED).
  hw::Result ewb(uint32_t slot, hw::PAddr va_slot, Blob& out);
  // What a reclaimer does for one page: for a REG, TCS or TRIM page EBLOCK and ETRACK
  // of its enclave, then EWB. The first result that is not success, or EWB's.
  hw::Result evict(uint32_t slot, hw::PAddr va_slot, Blob& out);
  // ELDU / ELDB of `b` into EPC slot `slot`, with `b`'s VA slot, address and SECS.
  hw::Result eldu(const Blob& b, uint32_t slot);
  hw::Result eldb(const Blob& b, uint32_t slot);

 private:
  hw::Result eld(bool block, const Blob& b, uint32_t slot);

  hw::Machine& m_;
  uint32_t cpu_;
  KernelMemory mem_;
  hw::PAddr pageinfo_;
  hw::PAddr pcmd_;
  hw::PAddr srcpge_;
};

}  // namespace sgxref::testlib
