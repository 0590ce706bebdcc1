#include "hw/inspect.h"

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

EpcmEntry Inspector::epcm(uint32_t slot) const {
  sched::MutexLock l(s_.mu_);
  return s_.epc_.epcm(slot);
}

SecsView Inspector::secs(uint32_t slot) const {
  sched::MutexLock l(s_.mu_);
  const uint8_t* p = s_.epc_.page(slot);
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
    auto it = s_.measurements_.find(v.eid);
    if (it != s_.measurements_.end()) v.mrenclave = it->second.peek();
  }
  return v;
}

Snapshot Inspector::snapshot() const {
  Snapshot s;
  // CPU locks come before the state mutex, so the CPUs are read first.
  for (uint32_t i = 0; i < m_.cpu_count(); ++i) s.cpus.push_back(cpu_view(i));
  sched::MutexLock l(s_.mu_);
  const Epc& epc = s_.epc_;
  s.epcm.reserve(epc.pages());
  s.page_digest.reserve(epc.pages());
  for (uint32_t i = 0; i < epc.pages(); ++i) {
    s.epcm.push_back(epc.epcm(i));
    s.page_digest.push_back(epc.epcm(i).valid ? fnv1a(epc.page(i), kPageSize) : 0);
  }
  for (const auto& [eid, h] : s_.measurements_) s.measurements[eid] = h.peek();
  s.next_eid = s_.next_eid_;
  s.paging_version = s_.paging_.next_version;
  return s;
}

CpuView Inspector::cpu_view(uint32_t cpu) const {
  const Cpu& c = *m_.cpus_.at(cpu);
  sched::MutexLock l(c.cpu_mu_);
  CpuView v;
  v.enclave_mode = c.enclave_mode_;
  if (v.enclave_mode) {
    v.secs = c.ctx_.secs;
    v.tcs = c.ctx_.tcs;
    v.tcs_slot = c.ctx_.tcs_slot;
  }
  for (const TlbEntry& e : c.tlb_.entries()) v.tlb.push_back({e.page, e.slot, e.r, e.w, e.x});
  v.regs = c.regs_;
  sched::MutexLock t(s_.mu_);
  const CpuTracking& k = s_.cpu_tracking_[cpu];
  if (k.inside) v.entry_epoch = k.entry_epoch;
  return v;
}

TrackingView Inspector::tracking(uint32_t secs_slot) const {
  sched::MutexLock l(s_.mu_);
  TrackingView v;
  v.epoch = load_secs_private(s_.epc_.page(secs_slot)).epoch;
  for (uint32_t i = 0; i < s_.cpu_tracking_.size(); ++i) {
    const CpuTracking& c = s_.cpu_tracking_[i];
    if (!c.inside || c.secs != secs_slot) continue;
    v.cpus_inside.push_back(i);
    if (c.entry_epoch < v.epoch) v.incomplete = true;
  }
  return v;
}

Counters Inspector::counters() const {
  Counters c;
  for (uint32_t cpu = 0; cpu < m_.cpu_count(); ++cpu) {
    const MachineState::LeafCounts& n = s_.leaf_counts_[cpu];
    for (int i = 0; i < kLeafCount; ++i) {
      c.calls[i] += n.calls[i].load(std::memory_order_relaxed);
      c.faults[i] += n.faults[i].load(std::memory_order_relaxed);
      c.codes[i] += n.codes[i].load(std::memory_order_relaxed);
    }
  }
  sched::MutexLock l(s_.mu_);
  c.aex = s_.aex_;
  c.interrupts = s_.interrupts_;
  for (uint32_t i = 0; i < s_.epc_.pages(); ++i) c.epc_valid += s_.epc_.epcm(i).valid ? 1 : 0;
  c.evictions = s_.paging_.evictions;
  c.reloads = s_.paging_.reloads;
  c.mac_failures = s_.paging_.mac_failures;
  return c;
}

std::vector<uint64_t> Inspector::va_slots(uint32_t slot) const {
  sched::MutexLock l(s_.mu_);
  const EpcmEntry& e = s_.epc_.epcm(slot);
  if (!e.valid || e.type != PageType::kVa) return {};
  std::vector<uint64_t> v(kVaSlotsPerPage);
  std::memcpy(v.data(), s_.epc_.page(slot), kPageSize);
  return v;
}

}  // namespace sgxref::hw
