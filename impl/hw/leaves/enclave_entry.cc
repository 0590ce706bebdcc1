// The operand checks EENTER and ERESUME share (SDM vol. 3D "EENTER", "ERESUME"), in
// the SDM's order, and the state change that puts the CPU in enclave mode.
#include "hw/leaves/enclave_entry.h"

#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "hw/secs_private.h"
#include "hw/shared_bytes.h"
#include "hw/ssa_frame.h"
#include "hw/ssa_gpr.h"
#include "hw/tracking.h"

namespace sgxref::hw {

namespace {

// One page of the SSA frame: it must be writable in the page table and a valid,
// readable and writable REG page of the enclave, neither blocked, pending nor modified.
// Faults report `a` itself, which for GPRSGX is not the page's start.
Result check_ssa_page(MachineState& m, LAddr a, const Pte& pte, uint32_t secs_slot, uint32_t& slot)
    REQUIRES(m.mu()) {
  const Result denied = enclave_epcm_pf(a, Access::kWrite);
  const auto s = m.epc_slot(pte.pa);
  if (!s) return denied;
  const EpcmEntry& e = m.epcm_entry(*s);
  if (!e.valid || e.blocked || e.pending || e.modified) return denied;
  if (e.enclave_address != page_of(a) || e.type != PageType::kReg || e.secs != secs_slot || !e.r ||
      !e.w) {
    return denied;
  }
  slot = *s;
  return Result::ok();
}

}  // namespace

Result Cpu::entry_operands(LAddr tcs, LAddr aep, LeafLocks& locks, Entry& e) {
  if (!is_aligned(tcs, kPageSize)) return Result::gp();
  Pte pte;
  if (Result r = walk(tcs, Access::kRead, pte); r.faulted()) return r;
  const auto slot = m_.epc_slot(pte.pa);
  if (!slot) return enclave_epcm_pf(tcs, Access::kRead);
  if (!is_canonical(aep)) return Result::gp();
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kShared)) return Result::gp();
  }
  e.tcs_la = tcs;
  e.aep = aep;
  e.tcs_slot = *slot;
  return Result::ok();
}

Result Cpu::entry_checks(bool resume, Entry& e) {
  const Result bad_tcs = enclave_epcm_pf(e.tcs_la, Access::kRead);
  const EpcmEntry& t = m_.epcm_entry(e.tcs_slot);
  if (!t.valid || t.blocked) return bad_tcs;
  if (t.enclave_address != e.tcs_la || t.type != PageType::kTcs) return bad_tcs;
  if (t.pending || t.modified) return bad_tcs;

  load_shared(m_.page(e.tcs_slot), &e.tcs, sizeof e.tcs);
  if (!is_aligned(e.tcs.ssa_offset, kPageSize)) return Result::gp();
  if (!is_aligned(e.tcs.fs_offset, kPageSize) || !is_aligned(e.tcs.gs_offset, kPageSize)) {
    return Result::gp();
  }
  e.secs_slot = t.secs;
  e.secs = load_secs(m_.page(e.secs_slot));
  if ((e.tcs.flags & uapi::kTcsFlagsReserved) != 0) return Result::gp();
  if ((e.secs.attributes & uapi::attr::kInit) == 0) return Result::gp();
  // The emulated CPU always runs in 64-bit mode, with CR4.OSFXSR and CR4.OSXSAVE set and
  // every feature it supports enabled in XCR0.
  if ((e.secs.attributes & uapi::attr::kMode64Bit) == 0) return Result::gp();
  const uint64_t xcr0 = m_.config().xfrm_supported;
  if ((e.secs.xfrm & xcr0) != e.secs.xfrm) return Result::gp();
  // TCS.FLAGS.AEXNOTIFY is reserved here (AEX-Notify is not emulated), so it is 0.
  if ((e.tcs.flags & uapi::kTcsFlagDbgOptIn) == 0 &&
      (e.secs.attributes & uapi::attr::kAexNotify) != 0) {
    return Result::gp();
  }
  if (resume ? e.tcs.ssa_index == 0 : e.tcs.ssa_index >= e.tcs.nr_ssa_frames) {
    return Result::gp();
  }
  e.frame = resume ? e.tcs.ssa_index - 1 : e.tcs.ssa_index;

  const uint64_t frame_bytes = kPageSize * uint64_t(e.secs.ssa_frame_size);
  const LAddr ssa = e.tcs.ssa_offset + e.secs.base + frame_bytes * e.frame;
  const LAddr xsave_end = ssa + xsave_size(e.secs.xfrm) - 1;
  for (LAddr page = page_of(ssa); page <= page_of(xsave_end); page += kPageSize) {
    Pte pte;
    if (Result r = walk(page, Access::kWrite, pte); r.faulted()) return r;
    uint32_t slot;
    if (Result r = check_ssa_page(m_, page, pte, e.secs_slot, slot); r.faulted()) return r;
    if (page == page_of(ssa)) e.xsave_slot = slot;
  }
  const LAddr gpr = ssa + frame_bytes - kGprSgxSize;
  Pte pte;
  if (Result r = walk(gpr, Access::kWrite, pte); r.faulted()) return r;
  if (Result r = check_ssa_page(m_, gpr, pte, e.secs_slot, e.gpr_slot); r.faulted()) return r;
  e.gpr_offset = uint32_t(page_offset(gpr));
  return Result::ok();
}

void Cpu::enter(const Entry& e) {
  uint8_t* tcs = m_.page(e.tcs_slot);
  store_shared(tcs + offsetof(uapi::Tcs, state), &kTcsActive, sizeof kTcsActive);
  m_.cpu_tracking()[id_] =
      CpuTracking{.inside = true, .secs = e.secs_slot, .entry_epoch = epoch(m_, e.secs_slot)};
  ctx_ = EnclaveContext{.secs = e.secs_slot,
                        .base = e.secs.base,
                        .size = e.secs.size,
                        .tcs = e.tcs_la,
                        .tcs_slot = e.tcs_slot,
                        .aep = e.aep,
                        .gpr_slot = e.gpr_slot,
                        .gpr_offset = e.gpr_offset,
                        .xsave_slot = e.xsave_slot,
                        .exinfo = (e.secs.miscselect & uapi::miscselect::kExInfo) != 0,
                        .saved_fs_base = regs_.fs_base,
                        .saved_gs_base = regs_.gs_base};
  tlb_.flush();
  enclave_mode_.store(true, std::memory_order_seq_cst);
}

}  // namespace sgxref::hw
