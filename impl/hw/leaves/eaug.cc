// EAUG: add a zeroed, PENDING page to an initialized enclave; the enclave must EACCEPT
// (or EACCEPTCOPY) it before it can touch it (SDM vol. 3D "EAUG—Add a Page to an
// Initialized Enclave").
#include <cstring>

#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "hw/secs_private.h"
#include "sched/scheduler.h"
#include "uapi/secinfo.h"
#include "uapi/secs.h"

namespace sgxref::hw {

Result Cpu::do_eaug(PAddr pageinfo, PAddr epc) {
  if (!is_aligned(pageinfo, uapi::kPageInfoAlign) || !is_aligned(epc, kPageSize)) {
    return Result::gp();
  }
  const auto slot = m_.epc_slot(epc);
  if (!slot) return Result::pf(epc, 0);

  uapi::PageInfo pi;
  if (Result r = m_.read(pageinfo, &pi, sizeof pi); r.faulted()) return r;
  if (pi.secinfo != 0 && !is_aligned(pi.secinfo, uapi::kSecInfoAlign)) return Result::gp();
  if (!is_aligned(pi.secs, kPageSize) || !is_aligned(pi.linaddr, kPageSize)) return Result::gp();
  if (pi.srcpge != 0) return Result::gp();
  const auto secs_slot = m_.epc_slot(pi.secs);
  if (!secs_slot) return Result::pf(pi.secs, 0);

  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kExclusive)) return Result::gp();
    if (m_.epcm_entry(*slot).valid) return Result::epcm_pf(epc);
  }
  // A nonzero SECINFO asks for a shadow-stack page type, which needs CET; this
  // processor has none, so the SDM's CPUID test refuses any SECINFO it reads.
  if (pi.secinfo != 0) {
    uapi::SecInfo si;
    if (Result r = m_.read(pi.secinfo, &si, sizeof si); r.faulted()) return r;
    return Result::gp();
  }
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *secs_slot, LockKind::kShared)) return Result::gp();
    const EpcmEntry& secs_entry = m_.epcm_entry(*secs_slot);
    if (!secs_entry.valid || secs_entry.type != PageType::kSecs) return Result::epcm_pf(pi.secs);
    const uapi::Secs secs = load_secs(m_.page(*secs_slot));
    if ((secs.attributes & uapi::attr::kInit) == 0) return Result::gp();
    if (pi.linaddr < secs.base || pi.linaddr - secs.base >= secs.size) return Result::gp();
  }
  sched::point("eaug.locked");

  std::memset(m_.page(*slot), 0, kPageSize);
  sched::MutexLock l(m_.mu());
  m_.epcm_entry(*slot) = EpcmEntry{.valid = true,
                                   .r = true,
                                   .w = true,
                                   .type = PageType::kReg,
                                   .pending = true,
                                   .secs = *secs_slot,
                                   .enclave_address = pi.linaddr};
  return Result::ok();
}

}  // namespace sgxref::hw
