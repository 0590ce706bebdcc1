// AEX: the asynchronous exit a fault or an interrupt forces on a CPU in enclave mode
// (SDM vol. 3D 40.3-40.4 "Asynchronous Enclave Exit"): the state is saved in SSA
// frame [CSSA] of the current TCS, CSSA is incremented, the TCS becomes inactive, and
// the CPU leaves the enclave holding a synthetic state that resumes at the AEP.
#include <cstddef>

#include "hw/cpu.h"
#include "hw/leaves/enclave_entry.h"
#include "hw/machine.h"
#include "hw/shared_bytes.h"
#include "hw/ssa_gpr.h"
#include "uapi/tcs.h"

namespace sgxref::hw {

namespace {

constexpr uint64_t kEncluEresume = 3;  // ENCLU leaf number, what the AEP code runs next

// EXITINFO reports exceptions, not interrupts; #PF and #GP only to an enclave that asked
// for EXINFO in MISCSELECT (SDM "EXITINFO"), as an SGX1 enclave could not handle them.
uint32_t exit_info(const Fault& why, bool exinfo) {
  if (why.vector == Vector::kIntr) return 0;
  if ((why.vector == Vector::kPF || why.vector == Vector::kGP) && !exinfo) return 0;
  return uint32_t(why.vector) | (exitinfo::kTypeHardwareException << exitinfo::kTypeShift) |
         exitinfo::kValid;
}

}  // namespace

void Cpu::aex(const Fault& why) {
  const bool interrupt = why.vector == Vector::kIntr;
  uint8_t* gpr_area = m_.page(ctx_.gpr_slot) + ctx_.gpr_offset;
  uint8_t* tcs = m_.page(ctx_.tcs_slot);
  GprSgx gpr;
  {
    sched::MutexLock l(m_.mu());
    load_shared(gpr_area, &gpr, sizeof gpr);
    gpr.rax = regs_.rax;
    gpr.rcx = regs_.rcx;
    gpr.rdx = regs_.rdx;
    gpr.rbx = regs_.rbx;
    gpr.rsp = regs_.rsp;
    gpr.rbp = regs_.rbp;
    gpr.rsi = regs_.rsi;
    gpr.rdi = regs_.rdi;
    gpr.r8 = regs_.r8;
    gpr.r9 = regs_.r9;
    gpr.r10 = regs_.r10;
    gpr.r11 = regs_.r11;
    gpr.r12 = regs_.r12;
    gpr.r13 = regs_.r13;
    gpr.r14 = regs_.r14;
    gpr.r15 = regs_.r15;
    gpr.rflags = regs_.rflags;
    gpr.rip = regs_.rip;
    gpr.exitinfo = exit_info(why, ctx_.exinfo);
    gpr.fsbase = regs_.fs_base;
    gpr.gsbase = regs_.gs_base;
    store_shared(gpr_area, &gpr, sizeof gpr);
    if (ctx_.exinfo && (why.vector == Vector::kPF || why.vector == Vector::kGP)) {
      const ExInfo ex{.maddr = why.vector == Vector::kPF ? why.addr : 0,
                      .errcd = why.error_code,
                      .reserved = 0};
      store_shared(gpr_area - sizeof ex, &ex, sizeof ex);
    }
    // XSAVE of components the emulator keeps in their initial state: an empty header.
    fill_shared(m_.page(ctx_.xsave_slot) + kXsaveHeaderOffset, 0, kXsaveHeaderSize);

    uint32_t cssa;
    load_shared(tcs + offsetof(uapi::Tcs, ssa_index), &cssa, sizeof cssa);
    ++cssa;
    store_shared(tcs + offsetof(uapi::Tcs, ssa_index), &cssa, sizeof cssa);
    store_shared(tcs + offsetof(uapi::Tcs, state), &kTcsInactive, sizeof kTcsInactive);
    m_.cpu_tracking()[id_] = CpuTracking{};
    m_.count_aex(interrupt);
  }

  // The synthetic state: ERESUME in RAX, the TCS in RBX, the AEP in RCX and RIP, the
  // outside stack from SSA.U_RSP/U_RBP, the outside FS/GS, scratch registers zeroed.
  Registers s;
  s.rax = kEncluEresume;
  s.rbx = ctx_.tcs;
  s.rcx = ctx_.aep;
  s.rip = ctx_.aep;
  s.rsp = gpr.ursp;
  s.rbp = gpr.urbp;
  s.rflags = regs_.rflags & ~(rflags::kCf | rflags::kPf | rflags::kAf | rflags::kZf | rflags::kSf |
                              rflags::kOf | rflags::kRf);
  s.fs_base = ctx_.saved_fs_base;
  s.gs_base = ctx_.saved_gs_base;
  regs_ = s;
  tlb_.flush();
  enclave_mode_.store(false, std::memory_order_seq_cst);
}

}  // namespace sgxref::hw
