#include "conformance/hw_runner.h"

#include <cstddef>
#include <cstring>
#include <stdexcept>

#include "hw/cpu.h"
#include "sign/sigstruct.h"
#include "testlib/pause_at.h"
#include "uapi/page_type.h"
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
  c.ram_pages = 256;
  // SIZE < 2^limit: every power of two up to the model's address space, nothing above.
  c.max_enclave_size_log2 = uint8_t(log2_exact(sz.pages * hw::kPageSize) + 1);
  return c;
}

}  // namespace

HwRunner::HwRunner(const arch::Sizes& sz, const sign::SigningKey& key)
    : sz_(sz),
      key_(key),
      m_(std::make_unique<hw::Machine>(machine_config(sz))),
      mem_(*m_),
      blobs_(sz.blobs) {
  const sign::Rsa3072Le n = key_.modulus();
  signer_hash_ = hw::Sha256::of(n.data(), n.size());
  for (uint32_t i = 0; i < m_->cpu_count(); ++i) {
    m_->cpu(i).set_page_table(&pt_);
    m_->cpu(i).write_lepubkeyhash(signer_hash_);
  }
  model::Concrete d;
  for (HwBlob& b : blobs_) b.data = arch::blank_page(d, sz_);
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

int64_t HwRunner::pte_slot(hw::PAddr frame) const {
  if (auto slot = m_->epc_slot(frame)) return int64_t(*slot);
  for (const auto& [v, pa] : ram_frame_)
    if (pa == frame) return v;
  return -1;
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

Out HwRunner::to_model(const hw::Result& r, bool linear_operands) const {
  switch (r.fault.vector) {
    case hw::Vector::kNone:
      if (r.code == uapi::SgxCode::kSuccess) return {arch::kind::kOk, 0, 0, 0};
      return {arch::kind::kCode, int64_t(r.code), 0, 0};
    case hw::Vector::kGP:
      return {arch::kind::kGp, 0, 0, 0};
    case hw::Vector::kUD:
      return {arch::kind::kUd, 0, 0, 0};
    case hw::Vector::kPF:
      return {arch::kind::kPf, 0, int64_t(r.fault.error_code), model_addr(r.fault.addr, linear_operands)};
    case hw::Vector::kIntr:
      break;
  }
  return {100, 0, 0, 0};
}

Out HwRunner::run(const Op& op) {
  const bool enclu = op.leaf >= Leaf::kEaccept && op.leaf != Leaf::kPteSet &&
                     op.leaf != Leaf::kPteClear;
  return to_model(execute(op), enclu);
}

hw::Result HwRunner::execute(const Op& op) {
  const auto& a = op.args;
  const auto cpu = [&](int64_t c) -> hw::Cpu& { return m_->cpu(uint32_t(c)); };
  switch (op.leaf) {
    case Leaf::kEcreate:
      return ecreate(std::get<arch::EcreateOp<C>>(a));
    case Leaf::kEadd:
      return eadd(std::get<arch::EaddOp<C>>(a));
    case Leaf::kEextend: {
      const auto& o = std::get<arch::EextendOp<C>>(a);
      return cpu(o.cpu).eextend(slot_addr(o.secs), slot_addr(o.slot));
    }
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
      const hw::LAddr si = enclave_secinfo(o.secinfo, o.si);
      return op.leaf == Leaf::kEaccept ? cpu(o.cpu).eaccept(si, linear(o.page))
                                       : cpu(o.cpu).emodpe(si, linear(o.page));
    }
    case Leaf::kEacceptcopy: {
      const auto& o = std::get<arch::AcceptCopyOp<C>>(a);
      const hw::LAddr si = enclave_secinfo(o.secinfo, o.si);
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
    case Leaf::kAex:
    case Leaf::kIpi:
      interrupt(std::get<arch::CpuOp<C>>(a).cpu);
      return hw::Result::ok();
    case Leaf::kLoad:
    case Leaf::kStore:
    case Leaf::kFetch:
      return access(op.leaf, std::get<arch::AccessOp<C>>(a));
    case Leaf::kStoreTcs:
      return store_tcs(std::get<arch::StoreTcsOp<C>>(a));
    case Leaf::kPteSet:
    case Leaf::kPteClear:
      pte(op);
      return hw::Result::ok();
    case Leaf::kLeafCount:
      break;
  }
  throw std::invalid_argument("not a leaf");
}

model::test::OverlapOutcome HwRunner::run(const model::test::OverlapOp& op) {
  hw::Cpu& cpu = m_->cpu(uint32_t(op.eblock.cpu));
  const hw::PAddr target = slot_addr(op.eblock.slot);
  Out other{};
  const hw::Result eblock = testlib::overlap(
      "eblock.locked", [&] { return cpu.eblock(target); }, [&] { other = run(op.other); });
  return {to_model(eblock, false), other};
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
  return m_->cpu(uint32_t(op.cpu)).ecreate(mem_.put(pi), slot_addr(op.secs));
}

hw::Result HwRunner::eadd(const arch::EaddOp<C>& op) {
  // The source page holds a TCS image whatever the type, so the model's NSSA and OSSA
  // are in the page's bytes either way.
  uapi::Tcs tcs{};
  tcs.ssa_offset = uint64_t(op.ossa) * hw::kPageSize;
  tcs.nr_ssa_frames = uint32_t(op.nssa);
  uapi::PageInfo pi{};
  pi.linaddr = linear(op.page);
  pi.srcpge = mem_.put(tcs);
  pi.secinfo = put_secinfo(op.si);
  pi.secs = slot_addr(op.secs);
  return m_->cpu(uint32_t(op.cpu)).eadd(mem_.put(pi), slot_addr(op.slot));
}

hw::Result HwRunner::einit(const arch::EinitOp<C>& op) {
  hw::Cpu& cpu = m_->cpu(uint32_t(op.cpu));
  sign::SigStructParams p;
  p.attributes_mask = ~uint64_t(0);
  p.xfrm_mask = ~uint64_t(0);
  p.misc_mask = ~uint32_t(0);
  if (op.secs < int64_t(sz_.slots) && m_->epcm(uint32_t(op.secs)).valid &&
      m_->epcm(uint32_t(op.secs)).type == uapi::PageType::kSecs) {
    const hw::SecsView v = m_->secs(uint32_t(op.secs));
    p.attributes = v.attributes;
    p.xfrm = v.xfrm;
    p.miscselect = v.miscselect;
    p.mrenclave = v.mrenclave;
  }
  switch (op.launch_code) {
    case 0: break;
    case arch::sgx::kInvalidMeasurement: p.mrenclave[0] ^= 1; break;
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
  const bool resident = op.slot < int64_t(sz_.slots);
  const arch::PageData<C> before =
      resident ? page_data(uint32_t(op.slot)) : arch::blank_page(model::Concrete{}, sz_);
  const hw::Result r = m_->cpu(uint32_t(op.cpu)).ewb(pageinfo, slot_addr(op.slot), va_slot);
  if (!r.succeeded() && r != hw::Result::error(uapi::SgxCode::kVaSlotOccupied, true)) return r;
  HwBlob& b = blobs_[size_t(op.blob)];
  b.valid = true;
  mem_.read(srcpge, b.ciphertext.data(), b.ciphertext.size());
  b.pcmd = mem_.get<uapi::Pcmd>(pcmd);
  b.linaddr = mem_.get<uapi::PageInfo>(pageinfo).linaddr;
  b.version = m_->va_slots(uint32_t(op.va)).at(size_t(op.va_index));
  b.data = before;
  return r;
}

hw::Result HwRunner::eld(bool block, const arch::EldOp<C>& op) {
  const HwBlob& b = blobs_[size_t(op.blob)];
  std::array<uint8_t, hw::kPageSize> page = b.ciphertext;
  if (!op.intact) page[0] ^= 1;
  const hw::PAddr srcpge = mem_.frame();
  mem_.write(srcpge, page.data(), page.size());
  uapi::PageInfo pi{};
  pi.linaddr = linear(op.page);
  pi.srcpge = srcpge;
  pi.secinfo = mem_.put(b.pcmd);
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

hw::LAddr HwRunner::enclave_secinfo(int64_t page, const arch::SecInfo<C>& si) {
  const hw::LAddr la = linear(page) + kSecInfoOffset;
  const hw::Pte p = pt_.get(la);
  if (const auto slot = m_->epc_slot(p.pa); p.present && slot) {
    const hw::EpcmEntry e = m_->epcm(*slot);
    if (e.valid && e.type == uapi::PageType::kReg) {
      const uint64_t flags = secinfo_flags(si);
      std::memcpy(m_->page(*slot) + kSecInfoOffset, &flags, sizeof flags);
    }
  }
  return la;
}

hw::Result HwRunner::access(Leaf leaf, const arch::AccessOp<C>& op) {
  hw::Cpu& cpu = m_->cpu(uint32_t(op.cpu));
  const hw::LAddr la = linear(op.page) + kAccessOffset;
  uint64_t v = 0x5a5a5a5a5a5a5a5aull;
  switch (leaf) {
    case Leaf::kLoad: return cpu.load(la, &v, sizeof v);
    case Leaf::kStore: return cpu.store(la, &v, sizeof v);
    default: return cpu.fetch(la, &v, sizeof v);
  }
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

void HwRunner::pte(const Op& op) {
  if (op.leaf == Leaf::kPteSet) {
    const auto& o = std::get<arch::PteSetOp<C>>(op.args);
    hw::PAddr pa = 0;
    if (o.slot < int64_t(sz_.slots)) {
      pa = m_->epc_addr(uint32_t(o.slot));
    } else {
      auto [it, fresh] = ram_frame_.try_emplace(o.slot, 0);
      if (fresh) it->second = mem_.frame();
      pa = it->second;
    }
    pt_.set(linear(o.page), hw::Pte{.present = true, .writable = o.w, .nx = !o.x, .pa = pa});
  } else {
    pt_.clear(linear(std::get<arch::PteClearOp<C>>(op.args).page));
  }
  for (uint32_t c = 0; c < m_->cpu_count(); ++c) interrupt(c);
}

void HwRunner::interrupt(int64_t cpu) {
  m_->ipi(uint32_t(cpu));
  m_->cpu(uint32_t(cpu)).take_interrupt();
}

arch::PageData<C> HwRunner::page_data(uint32_t slot) const {
  arch::PageData<C> p = arch::blank_page(model::Concrete{}, sz_);
  const hw::EpcmEntry e = m_->epcm(slot);
  if (!e.valid) return p;
  const uint8_t* bytes = m_->page(slot);
  switch (e.type) {
    case uapi::PageType::kSecs: {
      const hw::SecsView v = m_->secs(slot);
      p.init = v.initialized;
      p.eid = int64_t(v.eid);
      p.base = int64_t(v.base >> hw::kPageShift);
      p.size = int64_t(v.size >> hw::kPageShift);
      break;
    }
    case uapi::PageType::kVa: {
      const std::vector<uint64_t> va = m_->va_slots(slot);
      for (size_t k = 0; k < p.va.size(); ++k) p.va[k] = int64_t(va.at(k));
      break;
    }
    default: {
      uapi::Tcs t;
      std::memcpy(&t, bytes, sizeof t);
      p.active = t.state != 0;
      p.cssa = t.ssa_index;
      p.nssa = t.nr_ssa_frames;
      p.ossa = int64_t(t.ssa_offset >> hw::kPageShift);
      break;
    }
  }
  return p;
}

}  // namespace sgxref::conformance
