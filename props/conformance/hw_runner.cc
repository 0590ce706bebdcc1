#include "conformance/hw_runner.h"

#include <cstddef>
#include <cstring>
#include <stdexcept>

#include "conformance/page_bytes.h"
#include "conformance/unseal.h"
#include "hw/cpu.h"
#include "hw/crypto/cmac.h"
#include "hw/crypto/report_key.h"
#include "hw/internals.h"
#include "sign/sigstruct.h"
#include "testlib/pause_at.h"
#include "uapi/page_type.h"
#include "uapi/report.h"
#include "uapi/secs.h"
#include "uapi/sigstruct.h"
#include "uapi/tcs.h"

namespace sgxref::conformance {

namespace arch = model::arch;
namespace sf = uapi::secinfo_flag;
using model::test::Leaf;

namespace {

constexpr uint64_t kReservedFlag = 1ull << 6;

unsigned log2_exact(uint64_t v) {
  unsigned n = 0;
  while ((uint64_t(1) << n) < v) ++n;
  if ((uint64_t(1) << n) != v) throw std::invalid_argument("model address space is not a power of two");
  return n;
}

hw::Config machine_config(const arch::Sizes& sz) {
  hw::Config c;
  c.epc_pages = uint32_t(sz.slots);
  c.cpus = uint32_t(sz.cpus);
  c.ram_pages = 4096;
  // SIZE < 2^limit: every power of two up to the model's address space, nothing above.
  c.max_enclave_size_log2 = uint8_t(log2_exact(sz.pages * hw::kPageSize) + 1);
  return c;
}

// The identity a report key is derived from, as TARGETINFO carries it for the enclave
// whose SECS the view shows.
hw::ReportKeyTarget identity_of(const hw::SecsView& v) {
  hw::ReportKeyTarget t;
  t.mrenclave = v.mrenclave;
  t.attributes = {v.attributes, v.xfrm};
  t.miscselect = v.miscselect;
  return t;
}

}  // namespace

HwRunner::HwRunner(const arch::Sizes& sz, const sign::SigningKey& key)
    : sz_(sz),
      key_(key),
      m_(std::make_unique<hw::Machine>(machine_config(sz))),
      space_(sz.cpus, 0),
      mem_(*m_),
      blobs_(sz.blobs),
      sealed_(sz.blobs) {
  for (size_t k = 0; k < sz.spaces; ++k) tables_.push_back(std::make_unique<hw::PageTable>());
  const sign::Rsa3072Le n = key_.modulus();
  signer_hash_ = hw::Sha256::of(n.data(), n.size());
  for (uint32_t i = 0; i < m_->cpu_count(); ++i) {
    m_->cpu(i).set_page_table(tables_[0].get());
    m_->cpu(i).write_lepubkeyhash(signer_hash_);
  }
}

const arch::Blob<C>& HwRunner::sealed(size_t b) const {
  if (!sealed_[b]) {
    sealed_[b] = blobs_[b].valid ? unseal(*this, blobs_[b]) : arch::initial_state(C{}, sz_).blob[0];
  }
  return *sealed_[b];
}

hw::PAddr HwRunner::slot_addr(int64_t v) const {
  const int64_t slots = int64_t(sz_.slots);
  if (v < slots) return m_->epc_addr(uint32_t(v));
  if (v == slots) return 0;
  return kNoEpc + hw::PAddr(v - slots - 1) * hw::kPageSize;
}

int64_t HwRunner::model_addr(uint64_t addr, bool linear_operand) const {
  const uint64_t page = hw::page_of(addr);
  if (linear_operand) return page < (uint64_t(1) << 28) ? int64_t(page >> hw::kPageShift) : -1;
  if (auto slot = m_->epc_slot(page)) return int64_t(*slot);
  if (page == 0) return int64_t(sz_.slots);
  if (page >= kNoEpc && page < kNoEpc + (uint64_t(1) << 32))
    return int64_t(sz_.slots) + 1 + int64_t((page - kNoEpc) >> hw::kPageShift);
  return -1;  // an address the model has no name for
}

std::optional<uint32_t> HwRunner::mapped_slot(int64_t cpu, int64_t page) const {
  const hw::Pte p = tables_[size_t(space_[size_t(cpu)])]->get(linear(page));
  if (!p.present) return std::nullopt;
  return m_->epc_slot(p.pa);
}

uint64_t HwRunner::secinfo_flags(const arch::SecInfo<C>& si) {
  return (uint64_t(si.type) << sf::kTypeShift) | (si.r ? sf::kR : 0) | (si.w ? sf::kW : 0) |
         (si.x ? sf::kX : 0) | (si.pending ? sf::kPending : 0) |
         (si.modified ? sf::kModified : 0) | (si.pr ? sf::kPr : 0) |
         (si.reserved ? kReservedFlag : 0);
}

hw::PAddr HwRunner::put_secinfo(const arch::SecInfo<C>& si) {
  uapi::SecInfo s{};
  s.flags = secinfo_flags(si);
  return mem_.put(s);
}

Out HwRunner::to_model(const hw::Result& r, bool linear_operands, int64_t value) const {
  switch (r.fault.vector) {
    case hw::Vector::kNone:
      if (r.code == uapi::SgxCode::kSuccess) return {arch::kind::kOk, 0, 0, 0, value};
      return {arch::kind::kCode, int64_t(r.code), 0, 0, 0};
    case hw::Vector::kGP:
      return {arch::kind::kGp, 0, 0, 0, 0};
    case hw::Vector::kUD:
      return {arch::kind::kUd, 0, 0, 0, 0};
    case hw::Vector::kPF:
      return {arch::kind::kPf, 0, int64_t(r.fault.error_code),
              model_addr(r.fault.addr, linear_operands), 0};
    case hw::Vector::kIntr:
      break;
  }
  return {100, 0, 0, 0, 0};
}

Out HwRunner::run(const Op& op) {
  const bool enclu = op.leaf >= Leaf::kEaccept && !model::test::is_pte_move(op.leaf);
  int64_t value = 0;
  const hw::Result r = execute(op, value);
  return to_model(r, enclu, value);
}

hw::Result HwRunner::execute(const Op& op, int64_t& value) {
  const auto& a = op.args;
  const auto cpu = [&](int64_t c) -> hw::Cpu& { return m_->cpu(uint32_t(c)); };
  switch (op.leaf) {
    case Leaf::kEcreate:
      return ecreate(std::get<arch::EcreateOp<C>>(a));
    case Leaf::kEadd:
      return eadd(std::get<arch::EaddOp<C>>(a));
    case Leaf::kEextend:
      return eextend(std::get<arch::EextendOp<C>>(a));
    case Leaf::kEinit:
      return einit(std::get<arch::EinitOp<C>>(a));
    case Leaf::kEpa: {
      const auto& o = std::get<arch::PageOp<C>>(a);
      return cpu(o.cpu).epa(uint64_t(uapi::PageType::kVa), slot_addr(o.slot));
    }
    case Leaf::kEblock: {
      const auto& o = std::get<arch::PageOp<C>>(a);
      return cpu(o.cpu).eblock(slot_addr(o.slot));
    }
    case Leaf::kEremove: {
      const auto& o = std::get<arch::PageOp<C>>(a);
      return cpu(o.cpu).eremove(slot_addr(o.slot));
    }
    case Leaf::kEtrack: {
      const auto& o = std::get<arch::EtrackOp<C>>(a);
      return cpu(o.cpu).etrack(slot_addr(o.secs));
    }
    case Leaf::kEwb:
      return ewb(std::get<arch::EwbOp<C>>(a));
    case Leaf::kEldb:
    case Leaf::kEldu:
      return eld(op.leaf == Leaf::kEldb, std::get<arch::EldOp<C>>(a));
    case Leaf::kEaug:
      return eaug(std::get<arch::EaugOp<C>>(a));
    case Leaf::kEmodpr:
    case Leaf::kEmodt: {
      const auto& o = std::get<arch::ModifyOp<C>>(a);
      const hw::PAddr si = put_secinfo(o.si);
      return op.leaf == Leaf::kEmodpr ? cpu(o.cpu).emodpr(si, slot_addr(o.slot))
                                      : cpu(o.cpu).emodt(si, slot_addr(o.slot));
    }
    case Leaf::kEaccept:
    case Leaf::kEmodpe: {
      const auto& o = std::get<arch::AcceptOp<C>>(a);
      const hw::LAddr si = enclave_secinfo(o.cpu, o.secinfo, o.si);
      return op.leaf == Leaf::kEaccept ? cpu(o.cpu).eaccept(si, linear(o.page))
                                       : cpu(o.cpu).emodpe(si, linear(o.page));
    }
    case Leaf::kEacceptcopy: {
      const auto& o = std::get<arch::AcceptCopyOp<C>>(a);
      const hw::LAddr si = enclave_secinfo(o.cpu, o.secinfo, o.si);
      return cpu(o.cpu).eacceptcopy(si, linear(o.page), linear(o.source));
    }
    case Leaf::kEenter:
    case Leaf::kEresume: {
      const auto& o = std::get<arch::EnterOp<C>>(a);
      return op.leaf == Leaf::kEenter ? cpu(o.cpu).eenter(linear(o.tcs), kAep)
                                      : cpu(o.cpu).eresume(linear(o.tcs), kAep);
    }
    case Leaf::kEexit:
      return cpu(std::get<arch::CpuOp<C>>(a).cpu).eexit(kAep);
    case Leaf::kEreport:
      return ereport(std::get<arch::EreportOp<C>>(a), value);
    case Leaf::kAex:
    case Leaf::kIpi:
      interrupt(std::get<arch::CpuOp<C>>(a).cpu);
      return hw::Result::ok();
    case Leaf::kLoad:
    case Leaf::kStore:
    case Leaf::kFetch:
      return access(op.leaf, std::get<arch::AccessOp<C>>(a), value);
    case Leaf::kStoreTcs:
      return store_tcs(std::get<arch::StoreTcsOp<C>>(a));
    case Leaf::kCr3:
      return cr3(std::get<arch::Cr3Op<C>>(a));
    case Leaf::kPteSet:
    case Leaf::kPteClear:
    case Leaf::kPteSetNoIpi:
    case Leaf::kPteClearNoIpi:
      pte(op);
      return hw::Result::ok();
    case Leaf::kLeafCount:
      break;
  }
  throw std::invalid_argument("not a leaf");
}

model::test::OverlapOutcome HwRunner::run(const model::test::OverlapOp& op) {
  const bool enclu = op.parked.leaf >= Leaf::kEaccept;
  Out other{};
  int64_t value = 0;
  const hw::Result parked = testlib::overlap_if_parked(
      model::test::park_point(op.parked.leaf), [&] { return execute(op.parked, value); },
      [&] { other = run(op.other); });
  return {to_model(parked, enclu, value), other};
}

hw::Result HwRunner::ecreate(const arch::EcreateOp<C>& op) {
  uapi::Secs secs{};
  secs.size = uint64_t(op.size) * hw::kPageSize;
  secs.base = linear(op.base);
  secs.ssa_frame_size = 1;
  secs.attributes = uapi::attr::kMode64Bit;
  secs.xfrm = op.contents_ok ? 0x3 : 0x1;
  uapi::PageInfo pi{};
  pi.srcpge = mem_.put(secs);
  pi.secinfo = put_secinfo(op.si);
  const hw::Result r = m_->cpu(uint32_t(op.cpu)).ecreate(mem_.put(pi), slot_addr(op.secs));
  if (r.succeeded()) {
    log_.ecreate(inspect().secs(uint32_t(op.secs)).eid, secs.ssa_frame_size, secs.size);
  }
  return r;
}

hw::Result HwRunner::eadd(const arch::EaddOp<C>& op) {
  // The source page holds a TCS image and the words whatever the type, so the model's
  // NSSA, OSSA and contents are in the page's bytes either way.
  std::array<uint8_t, hw::kPageSize> page{};
  uapi::Tcs tcs{};
  tcs.ssa_offset = uint64_t(op.ossa) * hw::kPageSize;
  tcs.nr_ssa_frames = uint32_t(op.nssa);
  std::memcpy(page.data(), &tcs, sizeof tcs);
  put_words(page.data(), std::vector<int64_t>(sz_.words, op.content));
  const hw::PAddr src = mem_.frame();
  mem_.write(src, page.data(), page.size());
  uapi::PageInfo pi{};
  pi.linaddr = linear(op.page);
  pi.srcpge = src;
  pi.secinfo = put_secinfo(op.si);
  pi.secs = slot_addr(op.secs);
  const hw::Result r = m_->cpu(uint32_t(op.cpu)).eadd(mem_.put(pi), slot_addr(op.slot));
  if (r.succeeded()) {
    const hw::SecsView v = inspect().secs(uint32_t(op.secs));
    uint64_t flags = secinfo_flags(op.si);
    if (op.si.type == arch::pt::kTcs) flags &= ~uint64_t(sf::kPermMask);
    log_.eadd(v.eid, pi.linaddr - v.base, flags, op.page);
  }
  return r;
}

hw::Result HwRunner::eextend(const arch::EextendOp<C>& op) {
  const hw::Result r =
      m_->cpu(uint32_t(op.cpu)).eextend(slot_addr(op.secs), slot_addr(op.slot));
  if (r.succeeded()) {
    const hw::SecsView v = inspect().secs(uint32_t(op.secs));
    const uint64_t la = inspect().epcm(uint32_t(op.slot)).enclave_address;
    log_.eextend(v.eid, la - v.base, inspect().page(uint32_t(op.slot)),
                 int64_t(la >> hw::kPageShift));
  }
  return r;
}

std::array<int64_t, 2> HwRunner::measured_events(uint64_t eid, const hw::Digest& mr) const {
  const auto events = log_.events(eid);
  if (!events || log_.mrenclave(eid) != mr) return {kGarbage, kGarbage};
  return *events;
}

hw::Result HwRunner::einit(const arch::EinitOp<C>& op) {
  hw::Cpu& cpu = m_->cpu(uint32_t(op.cpu));
  sign::SigStructParams p;
  p.attributes_mask = ~uint64_t(0);
  p.xfrm_mask = ~uint64_t(0);
  p.misc_mask = ~uint32_t(0);
  if (op.secs < int64_t(sz_.slots) && inspect().epcm(uint32_t(op.secs)).valid &&
      inspect().epcm(uint32_t(op.secs)).type == uapi::PageType::kSecs) {
    const hw::SecsView v = inspect().secs(uint32_t(op.secs));
    p.attributes = v.attributes;
    p.xfrm = v.xfrm;
    p.miscselect = v.miscselect;
    // The hash of what the enclave measured, or of something else when the claim is not
    // its measured events.
    p.mrenclave = log_.mrenclave(v.eid);
    const auto events = log_.events(v.eid);
    if (!events || (*events)[0] != op.mr_count || (*events)[1] != op.mr_page) {
      p.mrenclave = hw::Sha256::of(p.mrenclave.data(), p.mrenclave.size());
    }
  }
  switch (op.launch_code) {
    case 0: break;
    case arch::sgx::kInvalidAttribute: p.attributes ^= uapi::attr::kDebug; break;
    case arch::sgx::kInvalidEinitToken: cpu.write_lepubkeyhash(hw::Digest{}); break;
    default: throw std::invalid_argument("EINIT launch verdict the runner cannot make");
  }
  uapi::SigStruct sig = sign::make_sigstruct(key_, p);
  switch (op.sig_code) {
    case 0: break;
    case arch::sgx::kInvalidSigStruct: sig.header.header1[0] ^= 1; break;
    case arch::sgx::kInvalidSignature: sig.signature[0] ^= 1; break;
    default: throw std::invalid_argument("EINIT signature verdict the runner cannot make");
  }
  const hw::Result r = cpu.einit(mem_.put(sig), slot_addr(op.secs), mem_.put(uapi::EinitToken{}, 512));
  cpu.write_lepubkeyhash(signer_hash_);
  return r;
}

hw::Result HwRunner::ewb(const arch::EwbOp<C>& op) {
  const hw::PAddr srcpge = mem_.frame();
  const hw::PAddr pcmd = mem_.frame();
  uapi::PageInfo pi{};
  pi.srcpge = srcpge;
  pi.secinfo = pcmd;
  const hw::PAddr pageinfo = mem_.put(pi);
  const hw::PAddr va_slot = slot_addr(op.va) + 8 * hw::PAddr(op.va_index);
  const hw::Result r = m_->cpu(uint32_t(op.cpu)).ewb(pageinfo, slot_addr(op.slot), va_slot);
  if (!r.succeeded() && r != hw::Result::error(uapi::SgxCode::kVaSlotOccupied, true)) return r;
  HwBlob& b = blobs_[size_t(op.blob)];
  b.valid = true;
  mem_.read(srcpge, b.ciphertext.data(), b.ciphertext.size());
  b.pcmd = mem_.get<uapi::Pcmd>(pcmd);
  b.linaddr = mem_.get<uapi::PageInfo>(pageinfo).linaddr;
  b.va_value = inspect().va_slots(uint32_t(op.va)).at(size_t(op.va_index));
  sealed_[size_t(op.blob)].reset();
  return r;
}

hw::Result HwRunner::eld(bool block, const arch::EldOp<C>& op) {
  const HwBlob& b = blobs_[size_t(op.blob)];
  std::array<uint8_t, hw::kPageSize> page = b.ciphertext;
  if (!op.intact) page[0] ^= 1;
  const hw::PAddr srcpge = mem_.frame();
  mem_.write(srcpge, page.data(), page.size());
  uapi::Pcmd pcmd = b.pcmd;
  pcmd.secinfo.flags = secinfo_flags(op.si);
  uapi::PageInfo pi{};
  pi.linaddr = linear(op.page);
  pi.srcpge = srcpge;
  pi.secinfo = mem_.put(pcmd);
  pi.secs = slot_addr(op.secs);
  hw::Cpu& cpu = m_->cpu(uint32_t(op.cpu));
  const hw::PAddr va_slot = slot_addr(op.va) + 8 * hw::PAddr(op.va_index);
  return block ? cpu.eldb(mem_.put(pi), slot_addr(op.slot), va_slot)
               : cpu.eldu(mem_.put(pi), slot_addr(op.slot), va_slot);
}

hw::Result HwRunner::eaug(const arch::EaugOp<C>& op) {
  uapi::PageInfo pi{};
  pi.linaddr = linear(op.page);
  pi.secs = slot_addr(op.secs);
  return m_->cpu(uint32_t(op.cpu)).eaug(mem_.put(pi), slot_addr(op.slot));
}

hw::LAddr HwRunner::enclave_secinfo(int64_t cpu, int64_t page, const arch::SecInfo<C>& si) {
  if (const auto slot = mapped_slot(cpu, page)) {
    const hw::EpcmEntry e = inspect().epcm(*slot);
    if (e.valid && e.type == uapi::PageType::kReg) {
      const uint64_t flags = secinfo_flags(si);
      std::memcpy(hw::Internals::of(*m_).page(*slot) + kSecInfoOffset, &flags, sizeof flags);
    }
  }
  return linear(page) + kSecInfoOffset;
}

hw::Result HwRunner::ereport(const arch::EreportOp<C>& op, int64_t& key_slot) {
  // TARGETINFO names the target enclave's identity, or one no enclave has.
  uapi::TargetInfo ti{};
  const bool target = op.target < int64_t(sz_.slots) && inspect().epcm(uint32_t(op.target)).valid &&
                      inspect().epcm(uint32_t(op.target)).type == uapi::PageType::kSecs;
  if (target) {
    const hw::ReportKeyTarget id = identity_of(inspect().secs(uint32_t(op.target)));
    std::memcpy(ti.measurement, id.mrenclave.data(), sizeof ti.measurement);
    ti.attributes = id.attributes;
    ti.miscselect = id.miscselect;
  }
  if (!target) ti.measurement[0] = 0x5a;  // an identity no enclave here has
  if (const auto slot = mapped_slot(op.cpu, op.targetinfo)) {
    if (inspect().epcm(*slot).valid && inspect().epcm(*slot).type == uapi::PageType::kReg)
      std::memcpy(hw::Internals::of(*m_).page(*slot) + kTargetInfoOffset, &ti, sizeof ti);
  }
  const hw::Result r = m_->cpu(uint32_t(op.cpu))
                           .ereport(linear(op.targetinfo) + kTargetInfoOffset,
                                    linear(op.reportdata) + kReportDataOffset,
                                    linear(op.out) + kReportOffset);
  if (!r.succeeded()) return r;
  // Whose report key MACs what landed: the target's, or any other enclave's.
  uapi::Report report;
  std::memcpy(&report, inspect().page(*mapped_slot(op.cpu, op.out)) + kReportOffset, sizeof report);
  const hw::ReportKeys keys(m_->config().seed);
  std::vector<int64_t> candidates;
  if (target) candidates.push_back(op.target);
  for (int64_t j = 0; j < int64_t(sz_.slots); ++j) candidates.push_back(j);
  key_slot = int64_t(sz_.slots);
  for (int64_t j : candidates) {
    const hw::EpcmEntry e = inspect().epcm(uint32_t(j));
    if (!e.valid || e.type != uapi::PageType::kSecs) continue;
    const hw::CmacTag mac = hw::aes128_cmac(keys.key_for(identity_of(inspect().secs(uint32_t(j)))),
                                            &report.body, sizeof report.body);
    if (std::memcmp(mac.data(), report.mac, mac.size()) == 0) {
      key_slot = j;
      break;
    }
  }
  return r;
}

hw::Result HwRunner::access(Leaf leaf, const arch::AccessOp<C>& op, int64_t& value) {
  hw::Cpu& cpu = m_->cpu(uint32_t(op.cpu));
  const hw::LAddr la = linear(op.page) + kWordOffset[size_t(op.word)];
  uint64_t raw = encode_word(op.value);
  hw::Result r;
  switch (leaf) {
    case Leaf::kLoad: r = cpu.load(la, &raw, sizeof raw); break;
    case Leaf::kStore: return cpu.store(la, &raw, sizeof raw);
    default: r = cpu.fetch(la, &raw, sizeof raw); break;
  }
  if (r.succeeded()) value = decode_word(raw);
  return r;
}

hw::Result HwRunner::store_tcs(const arch::StoreTcsOp<C>& op) {
  hw::Cpu& cpu = m_->cpu(uint32_t(op.cpu));
  const hw::LAddr la = linear(op.page);
  const uint64_t ossa = uint64_t(op.ossa) * hw::kPageSize;
  const uint64_t cssa_nssa = uint64_t(uint32_t(op.cssa)) | (uint64_t(uint32_t(op.nssa)) << 32);
  static_assert(offsetof(uapi::Tcs, nr_ssa_frames) == offsetof(uapi::Tcs, ssa_index) + 4);
  if (hw::Result r = cpu.store(la + offsetof(uapi::Tcs, ssa_offset), &ossa, 8); !r.succeeded()) {
    return r;
  }
  return cpu.store(la + offsetof(uapi::Tcs, ssa_index), &cssa_nssa, 8);
}

hw::Result HwRunner::cr3(const arch::Cr3Op<C>& op) {
  if (!m_->cpu(uint32_t(op.cpu)).set_page_table(tables_[size_t(op.space)].get())) {
    return hw::Result::gp();
  }
  space_[size_t(op.cpu)] = op.space;
  return hw::Result::ok();
}

void HwRunner::pte(const Op& op) {
  if (op.leaf == Leaf::kPteSet || op.leaf == Leaf::kPteSetNoIpi) {
    const auto& o = std::get<arch::PteSetOp<C>>(op.args);
    tables_[size_t(o.space)]->set(
        linear(o.page), hw::Pte{.present = true, .writable = o.w, .nx = !o.x, .pa = slot_addr(o.slot)});
  } else {
    const auto& o = std::get<arch::PteClearOp<C>>(op.args);
    tables_[size_t(o.space)]->clear(linear(o.page));
  }
  if (op.leaf == Leaf::kPteSet || op.leaf == Leaf::kPteClear) {
    for (uint32_t c = 0; c < m_->cpu_count(); ++c) interrupt(c);
  }
}

void HwRunner::interrupt(int64_t cpu) {
  m_->ipi(uint32_t(cpu));
  m_->cpu(uint32_t(cpu)).take_interrupt();
}

arch::PageData<C> HwRunner::page_data(uint32_t slot) const {
  const hw::EpcmEntry e = inspect().epcm(slot);
  if (!e.valid) return arch::blank_page(C{}, sz_);
  arch::PageData<C> p = page_data_of(int64_t(e.type), inspect().page(slot), sz_);
  if (e.type == uapi::PageType::kSecs) {
    const hw::SecsView v = inspect().secs(slot);
    p.init = v.initialized;
    const std::array<int64_t, 2> events = measured_events(v.eid, v.mrenclave);
    p.mr_count = events[0];
    p.mr_page = events[1];
  }
  return p;
}

}  // namespace sgxref::conformance
