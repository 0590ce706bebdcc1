// ELDB and ELDU: load a page EWB evicted back into a free EPC page, after checking its
// MAC against the version its VA slot holds; ELDB leaves an enclave page BLOCKED, ELDU
// unblocked (SDM vol. 3D "ELDB/ELDU/ELDBC/ELDUC—Load an EPC Page and Mark its State").
#include <cstring>

#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/mac_header.h"
#include "hw/machine.h"
#include "hw/paging_state.h"
#include "hw/secs_private.h"
#include "hw/va_slot_claim.h"
#include "sched/scheduler.h"
#include "uapi/secinfo.h"

namespace sgxref::hw {

// Hot: g++'s guessed profile rates the path behind the many operand checks as cold
// and compiles its block copies there as rep movs, slow on blocks this short.
[[gnu::hot]] Result Cpu::do_eld(bool block, PAddr pageinfo, PAddr epc, PAddr va_slot) {
  namespace sf = uapi::secinfo_flag;
  if (!is_aligned(pageinfo, uapi::kPageInfoAlign) || !is_aligned(epc, kPageSize)) {
    return Result::gp();
  }
  const auto slot = m_.epc_slot(epc);
  if (!slot) return Result::pf(epc, 0);
  if (!is_aligned(va_slot, kVaSlotSize)) return Result::gp();
  const auto va = m_.epc_slot(va_slot);
  if (!va) return Result::pf(va_slot, 0);

  uapi::PageInfo pi;
  if (Result r = m_.read(pageinfo, &pi, sizeof pi); r.faulted()) return r;
  const PAddr pcmd_addr = pi.secinfo;  // PAGEINFO.PCMD overlays PAGEINFO.SECINFO
  if (!is_aligned(pcmd_addr, uapi::kPcmdAlign) || !is_aligned(pi.srcpge, kPageSize)) {
    return Result::gp();
  }

  LeafLocks locks(m_);
  VaSlotClaim claim(m_);
  uapi::Pcmd pcmd;
  MacHeader header = blank_mac_header();
  uint64_t type;
  uint32_t secs_slot = 0;
  uint64_t version;
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kExclusive)) return Result::gp();
    // A VA slot given as its own target page fails here: the page is already ours.
    if (!m_.lock_page(locks, *va, LockKind::kShared) || !claim_va_slot(m_, claim, va_slot)) {
      return Result::gp();
    }
    if (m_.epcm_entry(*slot).valid) return Result::epcm_pf(epc);
    const EpcmEntry& va_entry = m_.epcm_entry(*va);
    if (!va_entry.valid || va_entry.type != PageType::kVa) return Result::epcm_pf(va_slot);

    if (Result r = m_.read(pcmd_addr, &pcmd, sizeof pcmd); r.faulted()) return r;
    // The header is rebuilt from what software hands back; any change to it, to the
    // address or to the enclave makes the MAC differ.
    header.secinfo = pcmd.secinfo;
    std::memcpy(header.pcmd_reserved, pcmd.reserved, sizeof header.pcmd_reserved);
    header.linaddr = pi.linaddr;
    type = flags_type(pcmd.secinfo.flags);
    if (type == uint64_t(PageType::kReg) || type == uint64_t(PageType::kTcs) ||
        type == uint64_t(PageType::kTrim)) {
      if (!is_aligned(pi.secs, kPageSize)) return Result::gp();
      const auto s = m_.epc_slot(pi.secs);
      if (!s) return Result::pf(pi.secs, 0);
      if (!m_.lock_page(locks, *s, LockKind::kShared)) return Result::gp();
      // The SDM reads SECS.EID without checking the page; we require a valid SECS.
      const EpcmEntry& secs_entry = m_.epcm_entry(*s);
      if (!secs_entry.valid || secs_entry.type != PageType::kSecs) {
        return Result::epcm_pf(pi.secs);
      }
      header.eid = load_secs_private(m_.page(*s)).eid;
      secs_slot = *s;
    } else if (pi.secs != 0) {
      // SECS and VA pages belong to no enclave.
      return Result::gp();
    }
    std::memcpy(&version, m_.page(*va) + page_offset(va_slot), sizeof version);
  }
  sched::point(block ? "eldb.locked" : "eldu.locked");

  // Decrypted straight from the backing frame into the target, sparing a copy of the
  // page; the target stays invalid, so software cannot see the bytes unless they
  // verify. A source in the EPC reads as all-ones (Machine::read): those go through
  // the target.
  uint8_t* page = m_.page(*slot);
  const uint8_t* sealed = m_.ram().frame(pi.srcpge);
  if (sealed == nullptr) {
    if (Result r = m_.read(pi.srcpge, page, kPageSize); r.faulted()) return r;
    sealed = page;
  }
  AesGcmPage::Mac mac;
  std::memcpy(mac.data(), pcmd.mac, mac.size());
  const bool authentic = m_.paging_cipher().open(version, header.bytes(), sealed, mac, page);

  sched::MutexLock l(m_.mu());
  if (!authentic) {
    ++m_.paging().mac_failures;
    return Result::error(SgxCode::kMacCompareFail);
  }
  std::memset(m_.page(*va) + page_offset(va_slot), 0, kVaSlotSize);
  const uint64_t flags = pcmd.secinfo.flags;
  const PageType pt = PageType(type);
  m_.epcm_entry(*slot) = EpcmEntry{.valid = true,
                                   .r = (flags & sf::kR) != 0,
                                   .w = (flags & sf::kW) != 0,
                                   .x = (flags & sf::kX) != 0,
                                   .type = pt,
                                   .blocked = block && is_child_type(pt),
                                   .pending = (flags & sf::kPending) != 0,
                                   .modified = (flags & sf::kModified) != 0,
                                   .pr = (flags & sf::kPr) != 0,
                                   .secs = secs_slot,
                                   .enclave_address = pi.linaddr};
  ++m_.paging().reloads;
  release_va_slot(m_, claim);
  m_.unlock_pages(locks);
  return Result::ok();
}

}  // namespace sgxref::hw
