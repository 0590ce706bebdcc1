// Memory accesses made by the code a logical CPU runs: the TLB-miss path (the hit path
// is inline in cpu.h), the page walk, the EPCM checks of docs/hw.md "Enclave access and
// the TLB", and ordinary and abort-page accesses outside ELRANGE.
#include <cstring>

#include "hw/cpu.h"
#include "hw/machine.h"
#include "hw/page_table.h"
#include "hw/shared_bytes.h"

namespace sgxref::hw {

Result Cpu::access_slow(LAddr a, void* out, const void* in, size_t n, Access k) {
  sched::MutexLock l(cpu_mu_);
  if (take_interrupt_locked()) return Result::interrupted();
  return fault_in_enclave(access_locked(a, out, in, n, k));
}

Result Cpu::access_locked(LAddr a, void* out, const void* in, size_t n, Access k) {
  if (n == 0 || n > 8) return Result::ud();
  // An access that crosses a page boundary translates both pages before touching either.
  const size_t first = std::min<size_t>(n, kPageSize - page_offset(a));
  Target t[2];
  if (Result r = translate(a, k, t[0]); r.faulted()) return r;
  if (first < n) {
    if (Result r = translate(a + first, k, t[1]); r.faulted()) return r;
  }
  const size_t len[2] = {first, n - first};
  size_t done = 0;
  for (int i = 0; i < 2 && done < n; ++i) {
    const LAddr at = a + done;
    if (k == Access::kWrite) {
      if (t[i].page != nullptr) {
        store_shared(t[i].page + page_offset(at), static_cast<const uint8_t*>(in) + done, len[i]);
      }
    } else if (t[i].page != nullptr) {
      load_shared(t[i].page + page_offset(at), static_cast<uint8_t*>(out) + done, len[i]);
    } else {
      std::memset(static_cast<uint8_t*>(out) + done, 0xFF, len[i]);
    }
    done += len[i];
  }
  return Result::ok();
}

// Every successful walk sets the PTE's Accessed bit, as x86's page walker does for any
// translation it completes: enclave and ordinary accesses alike, and the ENCLU leaves'
// operand walks (TCS, SSA, EACCEPT/EMODPE/EREPORT operands), which are linear accesses
// too. A later EPCM #PF does not undo it; a walk that faults sets nothing; a TLB hit
// does not walk. If the OS edits the PTE between the read and the update, the walk
// starts again on the new PTE, so it never uses, nor marks, a translation that is gone.
Result Cpu::walk(LAddr a, Access k, Pte& pte) {
  if (!is_canonical(a)) return Result::gp();
  do {
    pte = page_table_ != nullptr ? page_table_->get(a) : Pte{};
    if (!pte.present) return Result::pf(a, pf_error_code(k, false, false));
    if ((k == Access::kWrite && !pte.writable) || (k == Access::kFetch && pte.nx)) {
      return Result::pf(a, pf_error_code(k, true, false));
    }
    sched::point("walk.pte_read");  // the OS may edit the PTE before A is set
  } while (!page_table_->mark_accessed(a, pte));
  return Result::ok();
}

Result Cpu::translate(LAddr a, Access k, Target& t) {
  if (enclave_mode_ && is_canonical(a) && in_elrange(a)) return translate_enclave(a, k, t);
  // Enclave code runs only from ELRANGE.
  if (enclave_mode_ && k == Access::kFetch) return Result::gp();
  Pte pte;
  if (Result r = walk(a, k, pte); r.faulted()) return r;
  // EPC outside ELRANGE, or outside enclave mode, is the abort page; so is a frame that
  // is not RAM at all.
  t.page = m_.epc_slot(pte.pa) ? nullptr : m_.ram().frame(pte.pa);
  return Result::ok();
}

Result Cpu::translate_enclave(LAddr a, Access k, Target& t) {
  const uint64_t page = page_of(a);
  // A cached translation that grants the right is used with no other check, however
  // stale. One that lacks it is as good as absent: x86 re-walks before it reports a
  // permission fault, and the fill below replaces it (a fault flushes the TLB by AEX).
  if (const TlbEntry* e = tlb_.find(page); e != nullptr && e->allows(k)) {
    t.page = e->bytes;
    return Result::ok();
  }
  Pte pte;
  if (Result r = walk(a, k, pte); r.faulted()) return r;

  const Result denied = enclave_epcm_pf(a, k);
  const auto slot = m_.epc_slot(pte.pa);
  if (!slot) return denied;
  TlbEntry fill;
  {
    sched::MutexLock l(m_.mu());
    const EpcmEntry& e = m_.epcm_entry(*slot);
    if (!e.valid || e.secs != ctx_.secs || e.enclave_address != page || e.type != PageType::kReg ||
        e.blocked || e.pending || e.modified) {
      return denied;
    }
    fill = TlbEntry{.page = page,
                    .bytes = m_.page(*slot),
                    .slot = *slot,
                    .r = e.r,
                    .w = e.w && pte.writable,
                    .x = e.x && !pte.nx};
  }
  if (!fill.allows(k)) return denied;
  tlb_.insert(fill);
  t.page = fill.bytes;
  return Result::ok();
}

}  // namespace sgxref::hw
