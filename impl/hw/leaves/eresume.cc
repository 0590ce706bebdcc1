// ERESUME: re-enter an enclave after an AEX, restoring the state saved in SSA frame
// [CSSA - 1] (SDM vol. 3D "ERESUME—Re-Enters an Enclave").
#include <cstring>

#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/leaves/enclave_entry.h"
#include "hw/machine.h"
#include "hw/shared_bytes.h"
#include "hw/ssa_gpr.h"
#include "sched/scheduler.h"

namespace sgxref::hw {

namespace {

// The RFLAGS bits ERESUME takes from the SSA; the rest keep their outside values.
constexpr uint64_t kRestoredFlags = rflags::kCf | rflags::kPf | rflags::kAf | rflags::kZf |
                                    rflags::kSf | rflags::kDf | rflags::kOf | rflags::kNt |
                                    rflags::kAc | rflags::kId | rflags::kRf;

}  // namespace

Result Cpu::do_eresume(LAddr tcs, LAddr aep) {
  Entry e;
  LeafLocks locks(m_);
  if (Result r = entry_operands(tcs, aep, locks, e); r.faulted()) return r;
  sched::point("eresume.locked");

  sched::MutexLock l(m_.mu());
  if (Result r = entry_checks(/*resume=*/true, e); r.faulted()) return r;
  GprSgx gpr;
  load_shared(m_.page(e.gpr_slot) + e.gpr_offset, &gpr, sizeof gpr);
  if (!is_canonical(gpr.rip)) return Result::gp();
  if (!is_canonical(gpr.fsbase) || !is_canonical(gpr.gsbase)) return Result::gp();
  if (e.tcs.state != kTcsInactive) return Result::gp();
  // XRSTOR of the frame's XSAVE area: its header must name only XFRM's components, and
  // XCOMP_BV and the reserved bytes after it must be zero.
  uint8_t header[kXsaveHeaderSize];
  load_shared(m_.page(e.xsave_slot) + kXsaveHeaderOffset, header, sizeof header);
  uint64_t xstate_bv;
  std::memcpy(&xstate_bv, header, sizeof xstate_bv);
  if ((xstate_bv & ~e.secs.xfrm) != 0) return Result::gp();
  for (size_t i = 0; i < kXsaveMustBeZeroSize; ++i) {
    if (header[kXsaveMustBeZeroOffset - kXsaveHeaderOffset + i] != 0) return Result::gp();
  }

  const uint32_t cssa = e.frame;
  store_shared(m_.page(e.tcs_slot) + offsetof(uapi::Tcs, ssa_index), &cssa, sizeof cssa);
  enter(e);
  regs_.rax = gpr.rax;
  regs_.rcx = gpr.rcx;
  regs_.rdx = gpr.rdx;
  regs_.rbx = gpr.rbx;
  regs_.rsp = gpr.rsp;
  regs_.rbp = gpr.rbp;
  regs_.rsi = gpr.rsi;
  regs_.rdi = gpr.rdi;
  regs_.r8 = gpr.r8;
  regs_.r9 = gpr.r9;
  regs_.r10 = gpr.r10;
  regs_.r11 = gpr.r11;
  regs_.r12 = gpr.r12;
  regs_.r13 = gpr.r13;
  regs_.r14 = gpr.r14;
  regs_.r15 = gpr.r15;
  regs_.rflags = (regs_.rflags & ~kRestoredFlags) | (gpr.rflags & kRestoredFlags);
  regs_.rip = gpr.rip;
  regs_.fs_base = gpr.fsbase;
  regs_.gs_base = gpr.gsbase;
  return Result::ok();
}

}  // namespace sgxref::hw
