// ECREATE: turn a free EPC page into the SECS of a new, uninitialized enclave and start
// its measurement (SDM vol. 3D "ECREATE—Create an SECS page in the Enclave Page Cache").
#include <array>
#include <cstring>

#include "hw/all_zero.h"
#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "hw/secinfo_checks.h"
#include "hw/secs_private.h"
#include "hw/ssa_frame.h"
#include "sched/scheduler.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/secs.h"

namespace sgxref::hw {

namespace {

bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// The SDM's checks on the SECS copied from PAGEINFO.SRCPGE, in its order. Every one of
// them answers #GP(0), so the first failing one only matters for the docs table.
bool secs_acceptable(const uapi::Secs& s, const Config& cfg) {
  const bool mode64 = (s.attributes & uapi::attr::kMode64Bit) != 0;
  if ((s.xfrm & 0x3) != 0x3) return false;
  // Legal XFRM: only components the processor lets enclaves use (CPUID(12h,1).ECX:EDX).
  if ((s.xfrm & ~cfg.xfrm_supported) != 0) return false;
  // The SDM writes "!(CPUID.EBX & MISCSELECT)", which would refuse MISCSELECT=0; the
  // rule it states elsewhere is that only enumerated bits may be set.
  if ((s.miscselect & ~cfg.miscselect_supported) != 0) return false;
  if (uint64_t(s.ssa_frame_size) * kPageSize < ssa_frame_bytes(s.xfrm, s.miscselect)) {
    return false;
  }
  if (mode64 && !is_canonical(s.base)) return false;
  if (!mode64 && (s.base & 0xFFFF'FFFF'0000'0000ull) != 0) return false;
  const unsigned size_log2_limit =
      mode64 ? cfg.max_enclave_size_log2 : cfg.max_enclave_size_log2_32bit;
  if (size_log2_limit < 64 && s.size >= (1ull << size_log2_limit)) return false;
  if (s.size < 2 * kPageSize || !is_power_of_two(s.size)) return false;
  if ((s.base & (s.size - 1)) != 0) return false;
  if ((s.attributes & ~cfg.attributes_supported) != 0) return false;
  // Reserved fields, the hardware-private area (EID) inside reserved4 included.
  if (!all_zero(s.reserved1) || !all_zero(s.reserved2) || !all_zero(s.reserved3) ||
      !all_zero(s.reserved4)) {
    return false;
  }
  if ((!all_zero(s.config_id) || s.config_svn != 0) &&
      (s.attributes & uapi::attr::kKss) == 0) {
    return false;
  }
  return true;
}

// The 64-byte block ECREATE adds to MRENCLAVE: "ECREATE\0", SSAFRAMESIZE (32 bits),
// SIZE (64 bits), zeros (no CET legacy bitmap on this processor).
std::array<uint8_t, 64> ecreate_block(const uapi::Secs& s) {
  std::array<uint8_t, 64> b{};
  std::memcpy(b.data(), "ECREATE", 7);
  std::memcpy(b.data() + 8, &s.ssa_frame_size, 4);
  std::memcpy(b.data() + 12, &s.size, 8);
  return b;
}

}  // namespace

Result Cpu::do_ecreate(PAddr pageinfo, PAddr epc) {
  if (!is_aligned(pageinfo, uapi::kPageInfoAlign) || !is_aligned(epc, kPageSize)) {
    return Result::gp();
  }
  const auto slot = m_.epc_slot(epc);
  if (!slot) return Result::pf(epc, 0);

  uapi::PageInfo pi;
  if (Result r = m_.read(pageinfo, &pi, sizeof pi); r.faulted()) return r;
  if (!is_aligned(pi.srcpge, kPageSize) || !is_aligned(pi.secinfo, uapi::kSecInfoAlign)) {
    return Result::gp();
  }
  if (pi.linaddr != 0 || pi.secs != 0) return Result::gp();
  uapi::SecInfo si;
  if (Result r = m_.read(pi.secinfo, &si, sizeof si); r.faulted()) return r;
  if (!secinfo_reserved_clear(si) || !secinfo_type_is(si.flags, PageType::kSecs)) {
    return Result::gp();
  }

  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kExclusive)) return Result::gp();
    if (m_.epcm_entry(*slot).valid) return Result::epcm_pf(epc);
  }
  sched::point("ecreate.locked");

  uapi::Secs secs;
  if (Result r = m_.read(pi.srcpge, &secs, sizeof secs); r.faulted()) return r;
  if (!secs_acceptable(secs, m_.config())) return Result::gp();

  // The SECS starts uninitialized with no product identity; its MRENCLAVE field stays
  // zero until EINIT stores the final value, the running hash lives beside the EPC.
  secs.attributes &= ~uapi::attr::kInit;
  std::memset(secs.mrenclave, 0, sizeof secs.mrenclave);
  secs.isv_prod_id = 0;
  secs.isv_svn = 0;
  Sha256 mrenclave;
  const std::array<uint8_t, 64> block = ecreate_block(secs);
  mrenclave.update(block.data(), block.size());

  sched::MutexLock l(m_.mu());
  const uint64_t eid = m_.take_next_eid();
  std::memcpy(m_.page(*slot), &secs, sizeof secs);
  store_secs_private(m_.page(*slot), SecsPrivate{.eid = eid});
  m_.measurements().insert_or_assign(eid, mrenclave);
  m_.epcm_entry(*slot) = EpcmEntry{.valid = true, .type = PageType::kSecs};
  return Result::ok();
}

}  // namespace sgxref::hw
