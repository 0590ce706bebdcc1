#include "hw/machine.h"

#include <cstring>

#include "hw/cpu.h"
#include "hw/secs_private.h"

namespace sgxref::hw {

namespace {

uint64_t fnv1a(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

}  // namespace

Machine::Machine(const Config& cfg)
    : cfg_(cfg),
      ram_(cfg.ram_pages),
      epc_(cfg.epc_pages),
      leaf_counts_(std::make_unique<LeafCounts[]>(cfg.cpus)),
      paging_cipher_(derive_base_pk(cfg.seed)) {
  for (uint32_t i = 0; i < cfg.cpus; ++i) cpus_.push_back(std::make_unique<Cpu>(*this, i));
  sched::MutexLock l(mu_);
  cpu_tracking_.resize(cfg.cpus);
}

Machine::~Machine() = default;

Result Machine::read(PAddr pa, void* out, size_t n) const {
  if (epc_.contains(pa)) {
    std::memset(out, 0xFF, n);
    return Result::ok();
  }
  const uint8_t* f = ram_.frame(pa);
  if (f == nullptr) return Result::pf(pa, 0);
  std::memcpy(out, f + page_offset(pa), n);
  return Result::ok();
}

Result Machine::write(PAddr pa, const void* in, size_t n) {
  if (epc_.contains(pa)) return Result::ok();
  uint8_t* f = ram_.frame(pa);
  if (f == nullptr) return Result::pf(pa, pfec::kW);
  std::memcpy(f + page_offset(pa), in, n);
  return Result::ok();
}

EpcmEntry Machine::epcm(uint32_t slot) const {
  sched::MutexLock l(mu_);
  return epc_.epcm(slot);
}

SecsView Machine::secs(uint32_t slot) const {
  sched::MutexLock l(mu_);
  const uint8_t* p = epc_.page(slot);
  const uapi::Secs s = load_secs(p);
  SecsView v;
  v.size = s.size;
  v.base = s.base;
  v.ssa_frame_size = s.ssa_frame_size;
  v.miscselect = s.miscselect;
  v.attributes = s.attributes;
  v.xfrm = s.xfrm;
  std::memcpy(v.mrenclave.data(), s.mrenclave, 32);
  std::memcpy(v.mrsigner.data(), s.mrsigner, 32);
  v.isv_prod_id = s.isv_prod_id;
  v.isv_svn = s.isv_svn;
  v.eid = load_secs_private(p).eid;
  v.initialized = (s.attributes & uapi::attr::kInit) != 0;
  if (!v.initialized) {
    auto it = measurements_.find(v.eid);
    if (it != measurements_.end()) v.mrenclave = it->second.peek();
  }
  return v;
}

Snapshot Machine::snapshot() const {
  Snapshot s;
  // CPU locks come before the state mutex, so the CPUs are read first.
  for (const auto& c : cpus_) s.cpus.push_back(c->view());
  sched::MutexLock l(mu_);
  s.epcm.reserve(epc_.pages());
  s.page_digest.reserve(epc_.pages());
  for (uint32_t i = 0; i < epc_.pages(); ++i) {
    s.epcm.push_back(epc_.epcm(i));
    s.page_digest.push_back(epc_.epcm(i).valid ? fnv1a(epc_.page(i), kPageSize) : 0);
  }
  for (const auto& [eid, h] : measurements_) s.measurements[eid] = h.peek();
  s.next_eid = next_eid_;
  s.paging_version = paging_.next_version;
  return s;
}

void Machine::ipi(uint32_t cpu) { cpus_.at(cpu)->interrupt(); }

CpuView Machine::cpu_view(uint32_t cpu) const { return cpus_.at(cpu)->view(); }

TrackingView Machine::tracking(uint32_t secs_slot) const {
  sched::MutexLock l(mu_);
  TrackingView v;
  v.epoch = load_secs_private(epc_.page(secs_slot)).epoch;
  for (uint32_t i = 0; i < cpu_tracking_.size(); ++i) {
    const CpuTracking& c = cpu_tracking_[i];
    if (!c.inside || c.secs != secs_slot) continue;
    v.cpus_inside.push_back(i);
    if (c.entry_epoch < v.epoch) v.incomplete = true;
  }
  return v;
}

Counters Machine::counters() const {
  Counters c;
  for (uint32_t cpu = 0; cpu < cpu_count(); ++cpu) {
    const LeafCounts& n = leaf_counts_[cpu];
    for (int i = 0; i < kLeafCount; ++i) {
      c.calls[i] += n.calls[i].load(std::memory_order_relaxed);
      c.faults[i] += n.faults[i].load(std::memory_order_relaxed);
      c.codes[i] += n.codes[i].load(std::memory_order_relaxed);
    }
  }
  sched::MutexLock l(mu_);
  c.aex = aex_;
  c.interrupts = interrupts_;
  for (uint32_t i = 0; i < epc_.pages(); ++i) c.epc_valid += epc_.epcm(i).valid ? 1 : 0;
  c.evictions = paging_.evictions;
  c.reloads = paging_.reloads;
  c.mac_failures = paging_.mac_failures;
  return c;
}

std::vector<uint64_t> Machine::va_slots(uint32_t slot) const {
  sched::MutexLock l(mu_);
  const EpcmEntry& e = epc_.epcm(slot);
  if (!e.valid || e.type != PageType::kVa) return {};
  std::vector<uint64_t> v(kVaSlotsPerPage);
  std::memcpy(v.data(), epc_.page(slot), kPageSize);
  return v;
}

void Machine::count(uint32_t cpu, int leaf, const Result& r) {
  // The CPU's driving thread is the only writer: a load and a store, where an atomic
  // increment would cost a locked instruction on every leaf.
  const auto bump = [](std::atomic<uint64_t>& n) {
    n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  };
  LeafCounts& n = leaf_counts_[cpu];
  bump(n.calls[leaf]);
  if (r.faulted()) {
    bump(n.faults[leaf]);
  } else if (r.code != SgxCode::kSuccess) {
    bump(n.codes[leaf]);
  }
}

}  // namespace sgxref::hw
