// EACCEPT: the enclave acknowledges a change the OS made to one of its pages (EAUG,
// EMODPR, EMODT) by naming the page's expected attributes; on a match the change takes
// effect (SDM vol. 3D "EACCEPT—Accept Changes to an EPC Page"). For an EMODPR or EMODT
// change it succeeds only once tracking shows that no CPU can still hold a translation
// made before the change (docs/hw.md "Tracking").
#include <cstddef>

#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/leaves/enclave_entry.h"
#include "hw/leaves/enclave_operand.h"
#include "hw/machine.h"
#include "hw/secinfo_checks.h"
#include "hw/secs_private.h"
#include "hw/shared_bytes.h"
#include "hw/tcs_checks.h"
#include "hw/tracking.h"
#include "sched/scheduler.h"
#include "uapi/secinfo.h"
#include "uapi/secs.h"
#include "uapi/tcs.h"

namespace sgxref::hw {

namespace {

namespace sf = uapi::secinfo_flag;

bool flag(uint64_t flags, uint64_t bit) { return (flags & bit) != 0; }

// The requests EACCEPT can acknowledge: a REG page after EAUG (PENDING) or EMODPR (PR),
// and a page EMODT made TCS or TRIM (MODIFIED).
bool legal_request(uint64_t flags) {
  if (secinfo_type_is(flags, PageType::kReg)) {
    return (flag(flags, sf::kPr) || flag(flags, sf::kPending)) && !flag(flags, sf::kModified);
  }
  if (secinfo_type_is(flags, PageType::kTcs) || secinfo_type_is(flags, PageType::kTrim)) {
    return !flag(flags, sf::kPr) && !flag(flags, sf::kPending) && flag(flags, sf::kModified);
  }
  return false;
}

// Everything but PR must match; PR is acknowledged, not compared.
bool attributes_match(const EpcmEntry& e, LAddr target, uint64_t flags) {
  return e.enclave_address == target && e.pending == flag(flags, sf::kPending) &&
         e.modified == flag(flags, sf::kModified) && e.r == flag(flags, sf::kR) &&
         e.w == flag(flags, sf::kW) && e.x == flag(flags, sf::kX) &&
         sf::type(e.type) == (flags & sf::kTypeMask);
}

// The state a TCS must be in before it can be used: what EADD checks and forces on a TCS
// it adds.
bool tcs_acceptable(const uapi::Tcs& t, bool mode64) {
  return tcs_well_formed(t, mode64) && (t.flags & uapi::kTcsFlagDbgOptIn) == 0 &&
         t.ssa_index < t.nr_ssa_frames && t.exit_addr == 0 && t.state == kTcsInactive;
}

}  // namespace

Result Cpu::do_eaccept(LAddr secinfo, LAddr target) {
  if (!is_aligned(secinfo, uapi::kSecInfoAlign) || !in_elrange(secinfo)) return Result::gp();
  uint32_t si_slot;
  if (Result r = enclave_operand(secinfo, Access::kRead, si_slot); r.faulted()) return r;
  uapi::SecInfo si;
  if (Result r = read_secinfo(secinfo, si_slot, si); r.faulted()) return r;
  if (!secinfo_reserved_clear(si)) return Result::gp();
  if (!is_aligned(target, kPageSize) || !in_elrange(target)) return Result::gp();
  uint32_t slot;
  if (Result r = enclave_operand(target, Access::kRead, slot); r.faulted()) return r;
  if (!legal_request(si.flags)) return Result::gp();

  const Result bad_target = enclave_epcm_pf(target, Access::kRead);
  LeafLocks locks(m_);
  {
    sched::MutexLock l(m_.mu());
    const EpcmEntry& e = m_.epcm_entry(slot);
    if (!e.valid || e.blocked || e.secs != ctx_.secs ||
        (e.type != PageType::kReg && e.type != PageType::kTcs && e.type != PageType::kTrim)) {
      return bad_target;
    }
    // Shared against SGX1 leaves, exclusive against the other SGX2 leaves: #GP either way.
    if (!m_.lock_page(locks, slot, LockKind::kShared) ||
        !m_.lock_page(locks, slot, LockKind::kSgx2)) {
      return Result::gp();
    }
  }
  sched::point("eaccept.locked");

  // The verdicts and the commit share one critical section: the tracking state they
  // read moves with every ETRACK, entry and exit.
  sched::MutexLock l(m_.mu());
  EpcmEntry& e = m_.epcm_entry(slot);
  if (!e.valid || e.secs != ctx_.secs) return bad_target;
  if (!attributes_match(e, target, si.flags)) {
    set_status(regs_, SgxCode::kPageAttributesMismatch);
    return Result::error(SgxCode::kPageAttributesMismatch);
  }
  if (!tracking_correct(m_, slot)) {
    set_status(regs_, SgxCode::kNotTracked);
    return Result::error(SgxCode::kNotTracked);
  }
  if (secinfo_type_is(si.flags, PageType::kTcs)) {
    uapi::Tcs tcs;
    load_shared(m_.page(slot), &tcs, sizeof tcs);
    const bool mode64 =
        (load_secs(m_.page(ctx_.secs)).attributes & uapi::attr::kMode64Bit) != 0;
    if (!tcs_acceptable(tcs, mode64)) return Result::gp();
  }
  e.pending = false;
  e.modified = false;
  e.pr = false;
  set_status(regs_, SgxCode::kSuccess);
  return Result::ok();
}

}  // namespace sgxref::hw
