#include "testlib/pager.h"

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/paging_state.h"
#include "uapi/page_type.h"

namespace sgxref::testlib {

Pager::Pager(hw::Machine& m, uint32_t cpu)
    : m_(m), cpu_(cpu), mem_(m), pageinfo_(mem_.frame()), pcmd_(mem_.frame()),
      srcpge_(mem_.frame()) {}

hw::PAddr Pager::va_slot(uint32_t va_page, uint32_t index) const {
  return m_.epc_addr(va_page) + uint64_t(index) * hw::kVaSlotSize;
}

hw::Result Pager::epa(uint32_t slot) {
  return m_.cpu(cpu_).epa(uint64_t(uapi::PageType::kVa), m_.epc_addr(slot));
}

hw::Result Pager::eblock(uint32_t slot) { return m_.cpu(cpu_).eblock(m_.epc_addr(slot)); }

hw::Result Pager::etrack(uint32_t secs_slot) {
  return m_.cpu(cpu_).etrack(m_.epc_addr(secs_slot));
}

hw::Result Pager::evict(uint32_t slot, hw::PAddr va_slot, Blob& out) {
  const hw::EpcmEntry e = hw::Inspector(m_).epcm(slot);
  if (e.valid && e.type != uapi::PageType::kSecs && e.type != uapi::PageType::kVa) {
    if (hw::Result r = eblock(slot); !r.succeeded()) return r;
    if (hw::Result r = etrack(e.secs); !r.succeeded()) return r;
  }
  return ewb(slot, va_slot, out);
}

hw::Result Pager::ewb(uint32_t slot, hw::PAddr va_slot, Blob& out) {
  const hw::EpcmEntry e = hw::Inspector(m_).epcm(slot);
  const uapi::PageInfo pi{.linaddr = 0, .srcpge = srcpge_, .secinfo = pcmd_, .secs = 0};
  mem_.write(pageinfo_, &pi, sizeof pi);
  const hw::Result r = m_.cpu(cpu_).ewb(pageinfo_, m_.epc_addr(slot), va_slot);
  if (r.faulted() || (r.code != uapi::SgxCode::kSuccess &&
                      r.code != uapi::SgxCode::kVaSlotOccupied)) {
    return r;
  }
  mem_.read(srcpge_, out.page.data(), out.page.size());
  out.pcmd = mem_.get<uapi::Pcmd>(pcmd_);
  out.linaddr = mem_.get<uapi::PageInfo>(pageinfo_).linaddr;
  const bool child = e.type != uapi::PageType::kSecs && e.type != uapi::PageType::kVa;
  out.secs = child ? m_.epc_addr(e.secs) : 0;
  out.va_slot = va_slot;
  return r;
}

hw::Result Pager::eldu(const Blob& b, uint32_t slot) { return eld(false, b, slot); }

hw::Result Pager::eldb(const Blob& b, uint32_t slot) { return eld(true, b, slot); }

hw::Result Pager::eld(bool block, const Blob& b, uint32_t slot) {
  mem_.write(srcpge_, b.page.data(), b.page.size());
  mem_.write(pcmd_, &b.pcmd, sizeof b.pcmd);
  const uapi::PageInfo pi{.linaddr = b.linaddr, .srcpge = srcpge_, .secinfo = pcmd_,
                          .secs = b.secs};
  mem_.write(pageinfo_, &pi, sizeof pi);
  hw::Cpu& cpu = m_.cpu(cpu_);
  return block ? cpu.eldb(pageinfo_, m_.epc_addr(slot), b.va_slot)
               : cpu.eldu(pageinfo_, m_.epc_addr(slot), b.va_slot);
}

}  // namespace sgxref::testlib
