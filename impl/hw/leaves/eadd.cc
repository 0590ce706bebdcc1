// EADD: copy a page from ordinary memory into a free EPC page of an uninitialized
// enclave and measure its offset and security attributes (SDM vol. 3D "EADD—Add a Page
// to an Uninitialized Enclave").
#include <array>
#include <cstring>

#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "hw/mrenclave.h"
#include "hw/secinfo_checks.h"
#include "hw/secs_private.h"
#include "hw/tcs_checks.h"
#include "sched/scheduler.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/secs.h"
#include "uapi/tcs.h"

namespace sgxref::hw {

namespace {

namespace sf = uapi::secinfo_flag;

// The 64-byte block EADD adds to MRENCLAVE: "EADD\0\0\0\0", the page's offset in the
// enclave, and the first 48 bytes of SECINFO as EADD saw them.
std::array<uint8_t, 64> eadd_block(uint64_t offset, const uapi::SecInfo& si) {
  std::array<uint8_t, 64> b{};
  std::memcpy(b.data(), "EADD", 4);
  std::memcpy(b.data() + 8, &offset, 8);
  std::memcpy(b.data() + 16, &si, 48);
  return b;
}

}  // namespace

Result Cpu::do_eadd(PAddr pageinfo, PAddr epc) {
  if (!is_aligned(pageinfo, uapi::kPageInfoAlign) || !is_aligned(epc, kPageSize)) {
    return Result::gp();
  }
  const auto slot = m_.epc_slot(epc);
  if (!slot) return Result::pf(epc, 0);

  uapi::PageInfo pi;
  if (Result r = m_.read(pageinfo, &pi, sizeof pi); r.faulted()) return r;
  if (!is_aligned(pi.srcpge, kPageSize) || !is_aligned(pi.secs, kPageSize) ||
      !is_aligned(pi.secinfo, uapi::kSecInfoAlign) || !is_aligned(pi.linaddr, kPageSize)) {
    return Result::gp();
  }
  const auto secs_slot = m_.epc_slot(pi.secs);
  if (!secs_slot) return Result::pf(pi.secs, 0);
  uapi::SecInfo si;
  if (Result r = m_.read(pi.secinfo, &si, sizeof si); r.faulted()) return r;
  const bool tcs = secinfo_type_is(si.flags, PageType::kTcs);
  if (!secinfo_reserved_clear(si) || (!tcs && !secinfo_type_is(si.flags, PageType::kReg))) {
    return Result::gp();
  }

  LeafLocks locks(m_);
  bool mode64;
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kExclusive)) return Result::gp();
    if (m_.epcm_entry(*slot).valid) return Result::epcm_pf(epc);
    if (!m_.lock_page(locks, *secs_slot, LockKind::kShared)) return Result::gp();
    const EpcmEntry& secs_entry = m_.epcm_entry(*secs_slot);
    if (!secs_entry.valid || secs_entry.type != PageType::kSecs) return Result::epcm_pf(pi.secs);
    mode64 = (load_secs(m_.page(*secs_slot)).attributes & uapi::attr::kMode64Bit) != 0;
  }

  std::array<uint8_t, kPageSize> page;
  if (Result r = m_.read(pi.srcpge, page.data(), page.size()); r.faulted()) return r;
  if (tcs) {
    uapi::Tcs t;
    std::memcpy(&t, page.data(), sizeof t);
    if (!tcs_well_formed(t, mode64)) return Result::gp();
  } else if (write_without_read(si.flags)) {
    return Result::gp();
  }

  uint64_t offset;
  {
    sched::MutexLock l(m_.mu());
    const uapi::Secs secs = load_secs(m_.page(*secs_slot));
    if (pi.linaddr < secs.base || pi.linaddr - secs.base >= secs.size) return Result::gp();
    if (!m_.lock_page(locks, *secs_slot, LockKind::kMeasurement)) return Result::gp();
    if ((secs.attributes & uapi::attr::kInit) != 0) return Result::gp();
    offset = pi.linaddr - secs.base;
  }
  sched::point("eadd.measuring");

  // A TCS enters the EPCM with no access rights and a clean execution state; both the
  // EPCM and the measurement see the forced values.
  if (tcs) {
    si.flags &= ~sf::kPermMask;
    uapi::Tcs t;
    std::memcpy(&t, page.data(), sizeof t);
    t.flags &= ~uapi::kTcsFlagDbgOptIn;
    t.ssa_index = 0;
    t.exit_addr = 0;
    t.state = 0;
    std::memcpy(page.data(), &t, sizeof t);
  }
  const std::array<uint8_t, 64> block = eadd_block(offset, si);

  sched::MutexLock l(m_.mu());
  std::memcpy(m_.page(*slot), page.data(), page.size());
  running_mrenclave(m_, *secs_slot).update(block.data(), block.size());
  m_.epcm_entry(*slot) = EpcmEntry{.valid = true,
                                   .r = (si.flags & sf::kR) != 0,
                                   .w = (si.flags & sf::kW) != 0,
                                   .x = (si.flags & sf::kX) != 0,
                                   .type = tcs ? PageType::kTcs : PageType::kReg,
                                   .secs = *secs_slot,
                                   .enclave_address = pi.linaddr};
  return Result::ok();
}

}  // namespace sgxref::hw
