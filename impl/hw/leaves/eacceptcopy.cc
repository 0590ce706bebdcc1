// EACCEPTCOPY: the enclave fills a page EAUG added with a copy of one of its own pages
// and gives it its final rights, accepting it in the same step (SDM vol. 3D
// "EACCEPTCOPY—Initialize a Pending Page"). A page that is no longer as EAUG left it
// is refused with SGX_PAGE_ATTRIBUTES_MISMATCH. EAUG leaves nothing to track, so there
// is no tracking check.
#include <array>

#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/leaves/enclave_operand.h"
#include "hw/machine.h"
#include "hw/secinfo_checks.h"
#include "hw/shared_bytes.h"
#include "sched/scheduler.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {

namespace {

namespace sf = uapi::secinfo_flag;

// The destination as EAUG leaves it, before the lock...
bool pending_reg_page(const EpcmEntry& e, uint32_t secs) {
  return e.valid && e.pending && !e.modified && !e.blocked && e.type == PageType::kReg &&
         e.secs == secs;
}

// ... and, with it, exactly: RW, not executable, at the destination's address.
bool augmented_page(const EpcmEntry& e, uint32_t secs, LAddr dest) {
  return e.valid && e.pending && !e.modified && e.r && e.w && !e.x &&
         e.type == PageType::kReg && e.secs == secs && e.enclave_address == dest;
}

}  // namespace

Result Cpu::do_eacceptcopy(LAddr secinfo, LAddr dest, LAddr src) {
  if (!is_aligned(secinfo, uapi::kSecInfoAlign)) return Result::gp();
  if (!is_aligned(dest, kPageSize) || !is_aligned(src, kPageSize)) return Result::gp();
  if (!in_elrange(secinfo) || !in_elrange(dest) || !in_elrange(src)) return Result::gp();
  uint32_t si_slot, dest_slot, src_slot;
  if (Result r = enclave_operand(secinfo, Access::kRead, si_slot); r.faulted()) return r;
  if (Result r = enclave_operand(dest, Access::kWrite, dest_slot); r.faulted()) return r;
  if (Result r = enclave_operand(src, Access::kRead, src_slot); r.faulted()) return r;
  uapi::SecInfo si;
  if (Result r = read_secinfo(secinfo, si_slot, si); r.faulted()) return r;
  if (!secinfo_reserved_clear(si) || write_without_read(si.flags) ||
      !secinfo_type_is(si.flags, PageType::kReg)) {
    return Result::gp();
  }

  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    if (!usable_operand_page(m_.epcm_entry(src_slot), ctx_.secs, src, false)) {
      return enclave_epcm_pf(src, Access::kRead);
    }
    if (!pending_reg_page(m_.epcm_entry(dest_slot), ctx_.secs)) {
      set_status(regs_, SgxCode::kPageAttributesMismatch);
      return Result::error(SgxCode::kPageAttributesMismatch);
    }
    // The destination is Concurrent for SGX1 leaves, exclusive among the SGX2 ones.
    if (!m_.lock_page(locks, dest_slot, LockKind::kSgx2)) return Result::gp();
  }
  sched::point("eacceptcopy.locked");

  std::array<uint8_t, kPageSize> page;
  load_shared(m_.page(src_slot), page.data(), page.size());
  sched::MutexLock l(m_.mu());
  EpcmEntry& e = m_.epcm_entry(dest_slot);
  if (!augmented_page(e, ctx_.secs, dest)) {
    set_status(regs_, SgxCode::kPageAttributesMismatch);
    return Result::error(SgxCode::kPageAttributesMismatch);
  }
  store_shared(m_.page(dest_slot), page.data(), page.size());
  e.r = (si.flags & sf::kR) != 0;
  e.w = (si.flags & sf::kW) != 0;
  e.x = (si.flags & sf::kX) != 0;
  e.pending = false;
  set_status(regs_, SgxCode::kSuccess);
  return Result::ok();
}

}  // namespace sgxref::hw
