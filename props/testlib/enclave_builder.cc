#include "testlib/enclave_builder.h"

#include "hw/cpu.h"
#include "uapi/secinfo.h"

namespace sgxref::testlib {

uapi::Secs make_secs(uint64_t base, uint64_t size) {
  uapi::Secs s{};
  s.base = base;
  s.size = size;
  s.ssa_frame_size = 1;
  s.attributes = uapi::attr::kDebug | uapi::attr::kMode64Bit;
  s.xfrm = 0x3;
  return s;
}

uapi::Tcs make_tcs(uint64_t ossa, uint64_t oentry) {
  uapi::Tcs t{};
  t.ssa_offset = ossa;
  t.nr_ssa_frames = 1;
  t.entry_offset = oentry;
  t.fs_limit = 0xFFFF'FFFF;
  t.gs_limit = 0xFFFF'FFFF;
  return t;
}

EnclaveBuilder::EnclaveBuilder(hw::Machine& m, uint32_t secs_slot, uint32_t cpu)
    : m_(m),
      secs_slot_(secs_slot),
      cpu_(cpu),
      mem_(m),
      pageinfo_(mem_.frame()),
      secinfo_(mem_.frame()),
      source_(mem_.frame()) {}

hw::Result EnclaveBuilder::create(const uapi::Secs& secs) {
  mem_.write(source_, &secs, sizeof secs);
  uapi::SecInfo si{};
  si.flags = uapi::secinfo_flag::type(uapi::PageType::kSecs);
  mem_.write(secinfo_, &si, sizeof si);
  const uapi::PageInfo pi{.linaddr = 0, .srcpge = source_, .secinfo = secinfo_, .secs = 0};
  mem_.write(pageinfo_, &pi, sizeof pi);
  return m_.cpu(cpu_).ecreate(pageinfo_, secs_addr());
}

hw::Result EnclaveBuilder::add(uint32_t slot, uint64_t linaddr, const void* page,
                               uint64_t secinfo_flags) {
  mem_.write(source_, page, hw::kPageSize);
  uapi::SecInfo si{};
  si.flags = secinfo_flags;
  mem_.write(secinfo_, &si, sizeof si);
  const uapi::PageInfo pi{
      .linaddr = linaddr, .srcpge = source_, .secinfo = secinfo_, .secs = secs_addr()};
  mem_.write(pageinfo_, &pi, sizeof pi);
  return m_.cpu(cpu_).eadd(pageinfo_, m_.epc_addr(slot));
}

hw::Result EnclaveBuilder::extend(uint32_t slot) {
  for (uint64_t off = 0; off < hw::kPageSize; off += 256) {
    const hw::Result r = m_.cpu(cpu_).eextend(secs_addr(), m_.epc_addr(slot) + off);
    if (!r.succeeded()) return r;
  }
  return hw::Result::ok();
}

hw::Result EnclaveBuilder::add_measured(uint32_t slot, uint64_t linaddr, const void* page,
                                        uint64_t secinfo_flags) {
  const hw::Result r = add(slot, linaddr, page, secinfo_flags);
  return r.succeeded() ? extend(slot) : r;
}

}  // namespace sgxref::testlib
