// File: one logical processor. The thread driving it executes ENCLS leaves (kernel
// side) or ENCLU leaves and enclave code (user side). Operands are what the leaf
// takes in RBX/RCX/RDX: physical addresses for ENCLS (see address.h), linear addresses
// in the current page table for ENCLU.
//
// Who touches what. One host thread drives a CPU at a time (handing it to another
// thread needs a happens-before edge, such as a join). Other threads only deliver
// interrupts (Machine::ipi) and inspect (inspect.h). The register file, the enclave
// context and CR3 are guarded by the CPU's lock; every ENCLU leaf and every TLB miss
// holds it, so an interrupt lands between instructions, as on real hardware.
//
// TLB and interrupts. A TLB hit takes no lock: only the driving thread writes the TLB
// (under the lock), and it reads it without the lock. An interrupt from another thread
// must flush it, so the two meet in a Dekker handshake on two atomics: the driving
// thread raises `busy_` around a hit and backs off if `interrupted_` is set; the
// interrupt raises `interrupted_` and waits for `busy_` to drop before its AEX touches
// the TLB, the registers or the SSA. A store-load fence on each side (asymmetric: the
// hit pays a compiler barrier, the interrupt a membarrier; asymmetric_fence.h) makes
// one of them see the other, so a hit either completes before the AEX or does not
// happen; the wait lasts one copy of at most 8 bytes, during which the driving thread
// holds no lock. `interrupted_` stays set until the driving thread's next step, which
// reports Result::interrupted() instead of running.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "hw/access.h"
#include "hw/address.h"
#include "hw/asymmetric_fence.h"
#include "hw/crypto/sha256.h"
#include "hw/fault.h"
#include "hw/leaf.h"
#include "hw/machine.h"
#include "hw/page_table.h"
#include "hw/registers.h"
#include "hw/shared_bytes.h"
#include "hw/tlb.h"
#include "sched/mutex.h"
#include "sched/scheduler.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {

class Cpu {
 public:
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  uint32_t id() const { return id_; }
  // Whether the code this CPU runs is inside an enclave. The thread driving the CPU is
  // that code, and code knows it: it is inside after EENTER or ERESUME succeeds, and
  // an AEX or EEXIT sends it outside.
  bool in_enclave_mode() const { return enclave_mode_; }

  // ENCLS. In enclave mode every ENCLS leaf is #UD, delivered by AEX.
  Result ecreate(PAddr pageinfo, PAddr epc) {
    return encls(Leaf::kEcreate, &Cpu::do_ecreate, pageinfo, epc);
  }
  Result eadd(PAddr pageinfo, PAddr epc) {
    return encls(Leaf::kEadd, &Cpu::do_eadd, pageinfo, epc);
  }
  Result eextend(PAddr secs, PAddr chunk) {
    return encls(Leaf::kEextend, &Cpu::do_eextend, secs, chunk);
  }
  Result einit(PAddr sigstruct, PAddr secs, PAddr token) {
    return encls(Leaf::kEinit, &Cpu::do_einit, sigstruct, secs, token);
  }
  Result eremove(PAddr epc) { return encls(Leaf::kEremove, &Cpu::do_eremove, epc); }
  Result epa(uint64_t rbx, PAddr epc) { return encls(Leaf::kEpa, &Cpu::do_epa, rbx, epc); }
  // EDBGRD leaves the 8 bytes read in `data` (RBX).
  Result edbgrd(PAddr addr, uint64_t& data) {
    return encls(Leaf::kEdbgrd, &Cpu::do_edbgrd, addr, data);
  }
  Result edbgwr(PAddr addr, uint64_t data) {
    return encls(Leaf::kEdbgwr, &Cpu::do_edbgwr, addr, data);
  }

  // Paging. EBLOCK answers a conflict with SGX_EPC_PAGE_CONFLICT; EWB, ELDB and ELDU
  // take `va_slot` (RDX), the 8-byte Version Array slot of the evicted page.
  Result eblock(PAddr epc) { return encls(Leaf::kEblock, &Cpu::do_eblock, epc); }
  Result ewb(PAddr pageinfo, PAddr epc, PAddr va_slot) {
    return encls(Leaf::kEwb, &Cpu::do_ewb, pageinfo, epc, va_slot);
  }
  Result eldb(PAddr pageinfo, PAddr epc, PAddr va_slot) {
    return encls(Leaf::kEldb, &Cpu::do_eld, true, pageinfo, epc, va_slot);
  }
  Result eldu(PAddr pageinfo, PAddr epc, PAddr va_slot) {
    return encls(Leaf::kEldu, &Cpu::do_eld, false, pageinfo, epc, va_slot);
  }

  // SGX2 page management. EMODPR and EMODT answer SGX_PAGE_NOT_MODIFIABLE and
  // SGX_EPC_PAGE_CONFLICT in RAX; EAUG only faults.
  Result eaug(PAddr pageinfo, PAddr epc) {
    return encls(Leaf::kEaug, &Cpu::do_eaug, pageinfo, epc);
  }
  Result emodpr(PAddr secinfo, PAddr epc) {
    return encls(Leaf::kEmodpr, &Cpu::do_emodpr, secinfo, epc);
  }
  Result emodt(PAddr secinfo, PAddr epc) {
    return encls(Leaf::kEmodt, &Cpu::do_emodt, secinfo, epc);
  }

  // ETRACK: RCX = `secs`. SGX_PREV_TRK_INCMPL while a CPU that was inside the enclave at
  // the previous ETRACK is still there.
  Result etrack(PAddr secs) { return encls(Leaf::kEtrack, &Cpu::do_etrack, secs); }

  // ENCLU from outside an enclave: RBX = `tcs`, the linear address of a TCS; RCX =
  // `aep`, where an AEX will continue. On success the CPU is in enclave mode: EENTER
  // sets RAX = CSSA, RCX = the RIP it was called with (the address after ENCLU) and RIP
  // = BASE + OENTRY; ERESUME restores the registers from SSA frame [CSSA - 1].
  Result eenter(LAddr tcs, LAddr aep) EXCLUDES(cpu_mu_) {
    return enclu_enter(Leaf::kEenter, &Cpu::do_eenter, tcs, aep);
  }
  Result eresume(LAddr tcs, LAddr aep) EXCLUDES(cpu_mu_) {
    return enclu_enter(Leaf::kEresume, &Cpu::do_eresume, tcs, aep);
  }
  // ENCLU from inside: EEXIT to RBX = `target`, outside the enclave.
  Result eexit(LAddr target) EXCLUDES(cpu_mu_) {
    return enclu_inside(Leaf::kEexit, &Cpu::do_eexit, target);
  }

  // SGX2 and attestation leaves from inside an enclave. Operands are linear addresses
  // in ELRANGE. EACCEPT and EACCEPTCOPY leave their code in RAX (ZF set on an error);
  // EMODPE and EREPORT only fault.
  Result eaccept(LAddr secinfo, LAddr target) EXCLUDES(cpu_mu_) {
    return enclu_inside(Leaf::kEaccept, &Cpu::do_eaccept, secinfo, target);
  }
  Result eacceptcopy(LAddr secinfo, LAddr dest, LAddr src) EXCLUDES(cpu_mu_) {
    return enclu_inside(Leaf::kEacceptcopy, &Cpu::do_eacceptcopy, secinfo, dest, src);
  }
  Result emodpe(LAddr secinfo, LAddr target) EXCLUDES(cpu_mu_) {
    return enclu_inside(Leaf::kEmodpe, &Cpu::do_emodpe, secinfo, target);
  }
  // EREPORT: RBX = TARGETINFO, RCX = REPORTDATA, RDX = where the REPORT goes.
  Result ereport(LAddr targetinfo, LAddr reportdata, LAddr out) EXCLUDES(cpu_mu_) {
    return enclu_inside(Leaf::kEreport, &Cpu::do_ereport, targetinfo, reportdata, out);
  }

  // Memory accesses of the code this CPU runs: up to 8 bytes at linear address `a`
  // (more is #UD), through the TLB and a walk of the current page table. In enclave
  // mode, ELRANGE follows docs/hw.md "Enclave access and the TLB" and a fault is
  // delivered by AEX (the CPU has left the enclave when the #PF/#GP comes back);
  // outside ELRANGE it is ordinary paging, and a fetch there is #GP. Outside enclave
  // mode a fault is just returned, and EPC memory behaves as the abort page (reads
  // all-ones, writes dropped).
  Result load(LAddr a, void* out, size_t n) {
    sched::point("enclave.load");
    if (const TlbEntry* e = hit(a, n, Access::kRead)) {
      load_shared(e->bytes + page_offset(a), out, n);
      busy_.store(false, std::memory_order_release);
      return Result::ok();
    }
    return access_slow(a, out, nullptr, n, Access::kRead);
  }
  Result store(LAddr a, const void* in, size_t n) {
    sched::point("enclave.store");
    if (const TlbEntry* e = hit(a, n, Access::kWrite)) {
      store_shared(e->bytes + page_offset(a), in, n);
      busy_.store(false, std::memory_order_release);
      return Result::ok();
    }
    return access_slow(a, nullptr, in, n, Access::kWrite);
  }
  Result fetch(LAddr a, void* out, size_t n) {
    sched::point("enclave.fetch");
    if (const TlbEntry* e = hit(a, n, Access::kFetch)) {
      load_shared(e->bytes + page_offset(a), out, n);
      busy_.store(false, std::memory_order_release);
      return Result::ok();
    }
    return access_slow(a, out, nullptr, n, Access::kFetch);
  }

  // The register file, as user code and enclave code see it. In enclave mode writing
  // it is a step: after an interrupt it writes nothing and answers interrupted().
  Registers regs() const EXCLUDES(cpu_mu_);
  Result set_regs(const Registers& r) EXCLUDES(cpu_mu_);

  // The OS page table this CPU walks (its CR3), set by the thread driving it. Refused
  // (false) in enclave mode, where no code can load CR3.
  bool set_page_table(PageTable* pt) EXCLUDES(cpu_mu_);

  // Interrupt delivery; use Machine::ipi. In enclave mode: AEX, under this CPU's lock.
  void interrupt() EXCLUDES(cpu_mu_);
  // Whether an interrupt made this CPU leave its enclave since the driving thread's last
  // step; clears it. Steps report the same thing as Result::interrupted().
  bool take_interrupt() EXCLUDES(cpu_mu_);

  // Launch control: this logical processor's IA32_SGXLEPUBKEYHASH0..3 MSRs.
  void write_lepubkeyhash(const Digest& hash) { lepubkeyhash_ = hash; }
  const Digest& lepubkeyhash() const { return lepubkeyhash_; }

 private:
  // The machine makes its CPUs; no one else does.
  friend class Machine;
  Cpu(Machine& m, uint32_t id) : m_(m), id_(id) {}
  // Inspection reads the registers, the enclave context and the TLB (inspect.h).
  friend class Inspector;

  // Records the leaf's outcome in the machine's counters and returns it.
  Result finish(Leaf leaf, const Result& r);

  // The CR_* registers EENTER/ERESUME load for the enclave the CPU runs.
  struct EnclaveContext {
    uint32_t secs = 0;  // CR_ACTIVE_SECS (EPC slot)
    uint64_t base = 0;  // CR_ELRANGE
    uint64_t size = 0;
    LAddr tcs = 0;          // CR_TCS_LA
    uint32_t tcs_slot = 0;  // CR_TCS_PA
    LAddr aep = 0;          // CR_TCS_LA.AEP
    uint32_t gpr_slot = 0;  // CR_GPR_PA: GPRSGX of SSA frame [CSSA]
    uint32_t gpr_offset = 0;
    uint32_t xsave_slot = 0;     // CR_XSAVE_PAGE_0: the first page of that frame
    bool exinfo = false;         // SECS.MISCSELECT.EXINFO
    uint64_t saved_fs_base = 0;  // CR_SAVE_FS/GS: the outside FS and GS bases
    uint64_t saved_gs_base = 0;
  };

  // What EENTER and ERESUME found while checking their operands, for their commit.
  struct Entry;

  // Every leaf runs between two scheduling points, "<leaf>.begin" before it takes any
  // lock and "<leaf>.end" once it has released them all (leaf.h), so a schedule can
  // put another thread's step before, after or, through the named points inside the
  // leaf, in the middle of it.
  template <typename Run>
  Result between_points(Leaf leaf, const Run& run) {
    sched::point(begin_point(leaf));
    const Result r = run();
    sched::point(end_point(leaf));
    return r;
  }
  // ENCLS leaves run without the CPU lock: only the driving thread changes its mode.
  template <typename... P, typename... A>
  Result encls(Leaf leaf, Result (Cpu::*body)(P...), A&&... args) EXCLUDES(cpu_mu_) {
    return between_points(leaf, [&] {
      return finish(leaf, enclave_mode_ ? encls_in_enclave() : (this->*body)(args...));
    });
  }
  // ENCLU leaves that enter an enclave run with the CPU lock held; from inside an
  // enclave they are #GP, delivered by AEX.
  template <typename... P, typename... A>
  Result enclu_enter(Leaf leaf, Result (Cpu::*body)(P...), A... args) EXCLUDES(cpu_mu_) {
    return between_points(leaf, [&] {
      sched::MutexLock l(cpu_mu_);
      if (take_interrupt_locked()) return Result::interrupted();
      if (enclave_mode_) return finish(leaf, fault_in_enclave(Result::gp()));
      return finish(leaf, (this->*body)(args...));
    });
  }
  // ENCLU leaves that exist only inside an enclave (EEXIT, EACCEPT, EMODPE...): an
  // interrupt that came first wins and the leaf does not run; outside enclave mode they
  // are #GP; a fault they raise is delivered by AEX. `body` runs with the CPU lock held.
  template <typename... P, typename... A>
  Result enclu_inside(Leaf leaf, Result (Cpu::*body)(P...), A... args) EXCLUDES(cpu_mu_) {
    return between_points(leaf, [&] {
      sched::MutexLock l(cpu_mu_);
      if (take_interrupt_locked()) return Result::interrupted();
      if (!enclave_mode_) return finish(leaf, Result::gp());
      return finish(leaf, fault_in_enclave((this->*body)(args...)));
    });
  }
  Result encls_in_enclave() EXCLUDES(cpu_mu_);
  // Delivers `r`'s fault by AEX if the CPU is in enclave mode; returns `r`.
  Result fault_in_enclave(const Result& r) REQUIRES(cpu_mu_);
  bool take_interrupt_locked() REQUIRES(cpu_mu_) {
    return interrupted_.exchange(false, std::memory_order_seq_cst);
  }

  // AEX (aex.cc): saves the state to SSA frame [CSSA], leaves the enclave, loads the
  // synthetic state. `why` is the exception, or Vector::kIntr for an interrupt.
  void aex(const Fault& why) REQUIRES(cpu_mu_);

  // The TLB-hit path. On a hit it returns the entry with busy_ still raised: the caller
  // copies the bytes, then lowers busy_.
  const TlbEntry* hit(LAddr a, size_t n, Access k) {
    if (n == 0 || n > 8 || page_offset(a) + n > kPageSize) return nullptr;
    light_store(busy_, true, asymmetric_);
    if (!interrupted_.load(std::memory_order_seq_cst)) {
      const TlbEntry* e = tlb_.find(page_of(a));
      if (e != nullptr && e->allows(k)) return e;
    }
    busy_.store(false, std::memory_order_release);
    return nullptr;
  }
  // Everything else (enclave_access.cc): `out` for loads and fetches, `in` for stores.
  Result access_slow(LAddr a, void* out, const void* in, size_t n, Access k) EXCLUDES(cpu_mu_);
  // For ENCLU leaves running with the CPU lock held (enclu_inside): an access with the
  // semantics of load/store/fetch, whose fault is returned rather than delivered.
  Result access_locked(LAddr a, void* out, const void* in, size_t n, Access k) REQUIRES(cpu_mu_);
  // The page walk alone: the PTE of `a` if it allows `k`, else the #PF (or #GP for a
  // non-canonical address) the walk raises.
  Result walk(LAddr a, Access k, Pte& pte) REQUIRES(cpu_mu_);

  // Where one page of an access lands: EPC or RAM bytes, or the abort page.
  struct Target {
    uint8_t* page = nullptr;  // nullptr: abort page
  };
  Result translate(LAddr a, Access k, Target& t) REQUIRES(cpu_mu_);
  Result translate_enclave(LAddr a, Access k, Target& t) REQUIRES(cpu_mu_);
  bool in_elrange(LAddr a) const REQUIRES(cpu_mu_) {
    return a >= ctx_.base && a - ctx_.base < ctx_.size;
  }

  // EENTER and ERESUME (enclave_entry.cc holds the checks they share).
  Result do_eenter(LAddr tcs, LAddr aep) REQUIRES(cpu_mu_);
  Result do_eresume(LAddr tcs, LAddr aep) REQUIRES(cpu_mu_);
  Result do_eexit(LAddr target) REQUIRES(cpu_mu_);
  Result entry_operands(LAddr tcs, LAddr aep, LeafLocks& locks, Entry& e) REQUIRES(cpu_mu_);
  Result entry_checks(bool resume, Entry& e) REQUIRES(cpu_mu_, m_.mu());
  void enter(const Entry& e) REQUIRES(cpu_mu_, m_.mu());

  Result do_ecreate(PAddr pageinfo, PAddr epc);
  Result do_eadd(PAddr pageinfo, PAddr epc);
  Result do_eextend(PAddr secs, PAddr chunk);
  Result do_einit(PAddr sigstruct, PAddr secs, PAddr token);
  Result do_eremove(PAddr epc);
  Result do_epa(uint64_t rbx, PAddr epc);
  Result do_edbgrd(PAddr addr, uint64_t& data);
  Result do_edbgwr(PAddr addr, uint64_t data);
  Result do_etrack(PAddr secs);
  Result do_eblock(PAddr epc);
  Result do_ewb(PAddr pageinfo, PAddr epc, PAddr va_slot);
  // ELDB when `block`, else ELDU.
  Result do_eld(bool block, PAddr pageinfo, PAddr epc, PAddr va_slot);
  Result do_eaug(PAddr pageinfo, PAddr epc);
  Result do_emodpr(PAddr secinfo, PAddr epc);
  Result do_emodt(PAddr secinfo, PAddr epc);
  Result do_eaccept(LAddr secinfo, LAddr target) REQUIRES(cpu_mu_);
  Result do_eacceptcopy(LAddr secinfo, LAddr dest, LAddr src) REQUIRES(cpu_mu_);
  Result do_emodpe(LAddr secinfo, LAddr target) REQUIRES(cpu_mu_);
  Result do_ereport(LAddr targetinfo, LAddr reportdata, LAddr out) REQUIRES(cpu_mu_);
  // The EPC slot behind an ENCLU memory operand, or the fault resolving it raises
  // (leaves/enclave_operand.cc).
  Result enclave_operand(LAddr a, Access k, uint32_t& slot) REQUIRES(cpu_mu_);
  // EACCEPT, EACCEPTCOPY, EMODPE: reads the SECINFO at `a` from the page in `slot` that
  // enclave_operand found for it, or the #PF when that page is no usable operand page of
  // this enclave (leaves/enclave_operand.cc).
  Result read_secinfo(LAddr a, uint32_t slot, uapi::SecInfo& si) REQUIRES(cpu_mu_);
  // One EREPORT operand: alignment and ELRANGE, then a usable page of this enclave.
  Result report_operand(LAddr a, uint64_t align, bool output, uint32_t& slot)
      REQUIRES(cpu_mu_);

  Machine& m_;
  uint32_t id_;
  mutable sched::Mutex cpu_mu_{"hw.cpu"};  // before MachineState::mu() in the lock order
  std::atomic<bool> enclave_mode_{false};  // CR_ENCLAVE_MODE
  std::atomic<bool> busy_{false};          // a TLB hit is in progress
  std::atomic<bool> interrupted_{false};   // an interrupt's AEX not yet seen
  const bool asymmetric_ = asymmetric_fence_available();
  // Written only by the driving thread under cpu_mu_, read by it without the lock and
  // by others with it; an interrupt's AEX flushes it after the busy_ handshake.
  Tlb tlb_;
  PageTable* page_table_ GUARDED_BY(cpu_mu_) = nullptr;
  Registers regs_ GUARDED_BY(cpu_mu_);
  EnclaveContext ctx_ GUARDED_BY(cpu_mu_);
  Digest lepubkeyhash_{};
};

}  // namespace sgxref::hw
