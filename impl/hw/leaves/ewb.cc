// EWB: evict an EPC page to ordinary memory, encrypted and MACed under the paging key
// with a fresh version recorded in a Version Array slot (SDM vol. 3D "EWB—Invalidate an
// EPC Page and Write out to Main Memory").
#include <array>
#include <cstddef>
#include <cstring>

#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/mac_header.h"
#include "hw/machine.h"
#include "hw/paging_state.h"
#include "hw/secs_children.h"
#include "hw/secs_private.h"
#include "hw/tracking.h"
#include "hw/va_slot_claim.h"
#include "sched/scheduler.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {

namespace {

// Whether a ring-0 store to `pa` faults (Machine::write drops stores to the EPC).
bool store_faults(Machine& m, PAddr pa) {
  return !m.epc_slot(pa).has_value() && m.ram().frame(pa) == nullptr;
}

}  // namespace

// Hot: g++'s guessed profile rates the path behind the many operand checks as cold
// and compiles its block copies there as rep movs, slow on blocks this short.
[[gnu::hot]] Result Cpu::do_ewb(PAddr pageinfo, PAddr epc, PAddr va_slot) {
  if (!is_aligned(pageinfo, uapi::kPageInfoAlign) || !is_aligned(epc, kPageSize)) {
    return Result::gp();
  }
  const auto slot = m_.epc_slot(epc);
  if (!slot) return Result::pf(epc, 0);
  if (!is_aligned(va_slot, kVaSlotSize)) return Result::gp();
  const auto va = m_.epc_slot(va_slot);
  if (!va) return Result::pf(va_slot, 0);
  if (*va == *slot) return Result::gp();

  uapi::PageInfo pi;
  if (Result r = m_.read(pageinfo, &pi, sizeof pi); r.faulted()) return r;
  if (pi.linaddr != 0 || pi.secs != 0) return Result::gp();
  const PAddr pcmd_addr = pi.secinfo;  // PAGEINFO.PCMD overlays PAGEINFO.SECINFO
  if (!is_aligned(pcmd_addr, uapi::kPcmdAlign) || !is_aligned(pi.srcpge, kPageSize)) {
    return Result::gp();
  }

  LeafLocks locks(m_);
  VaSlotClaim claim(m_);
  MacHeader header = blank_mac_header();
  uapi::Pcmd pcmd = blank_pcmd();
  uint64_t version;
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kExclusive)) return Result::gp();
    // The VA page must not be on its way out or in (EWB, ELDx, EREMOVE hold it
    // Exclusive), and no other leaf may be using this very slot.
    if (!m_.lock_page(locks, *va, LockKind::kShared) || !claim_va_slot(m_, claim, va_slot)) {
      return Result::gp();
    }
    const EpcmEntry& e = m_.epcm_entry(*slot);
    if (!e.valid) return Result::epcm_pf(epc);
    const EpcmEntry& va_entry = m_.epcm_entry(*va);
    if (!va_entry.valid || va_entry.type != PageType::kVa) return Result::epcm_pf(va_slot);

    if (is_child_type(e.type)) {
      // "If the tracking resource is in use": an ETRACK running on this enclave.
      if (m_.page_lock(e.secs).tracking) return Result::gp();
      if (!e.blocked) return Result::error(SgxCode::kPageNotBlocked);
      if (!tracking_correct(m_, *slot)) return Result::error(SgxCode::kNotTracked);
      header.eid = load_secs_private(m_.page(e.secs)).eid;
      pcmd.enclave_id = header.eid;
    } else if (e.type == PageType::kSecs) {
      if (has_resident_child(m_, *slot)) return Result::error(SgxCode::kChildPresent);
      // The header stays unbound (EID 0); PCMD names the enclave for software.
      pcmd.enclave_id = load_secs_private(m_.page(*slot)).eid;
    }

    for (PAddr out : {pi.srcpge, pcmd_addr, pageinfo}) {
      if (store_faults(m_, out)) return Result::pf(out, pfec::kW);
    }
    header.secinfo.flags = paging_flags(e);
    header.linaddr = e.enclave_address;
    version = m_.paging().next_version++;
  }
  sched::point("ewb.locked");

  pcmd.secinfo.flags = header.secinfo.flags;
  // Sealed straight into the backing frame, sparing a copy of the page; a store to the
  // EPC is dropped (Machine::write), so there the ciphertext goes to scratch instead.
  std::array<uint8_t, kPageSize> dropped;
  uint8_t* sealed = m_.ram().frame(pi.srcpge);
  const AesGcmPage::Mac mac = m_.paging_cipher().seal(
      version, header.bytes(), m_.page(*slot), sealed != nullptr ? sealed : dropped.data());
  std::memcpy(pcmd.mac, mac.data(), mac.size());
  (void)m_.write(pcmd_addr, &pcmd, sizeof pcmd);
  (void)m_.write(pageinfo + offsetof(uapi::PageInfo, linaddr), &header.linaddr,
                 sizeof header.linaddr);

  sched::MutexLock l(m_.mu());
  uint8_t* slot_bytes = m_.page(*va) + page_offset(va_slot);
  uint64_t previous;
  std::memcpy(&previous, slot_bytes, sizeof previous);
  std::memcpy(slot_bytes, &version, sizeof version);
  m_.epcm_entry(*slot) = EpcmEntry{};
  ++m_.paging().evictions;
  release_va_slot(m_, claim);
  m_.unlock_pages(locks);
  // An occupied slot is reported but does not stop the eviction: the version it held
  // is gone, and with it the page that was sealed under it.
  if (previous != 0) return Result::error(SgxCode::kVaSlotOccupied, true);
  return Result::ok();
}

}  // namespace sgxref::hw
