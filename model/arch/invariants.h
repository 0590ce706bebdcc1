// File: the architectural properties of DESIGN.md (H1-H4) and structural
// well-formedness, as domain-valued predicates over a state.
#pragma once

#include "arch/build.h"
#include "arch/common.h"

namespace sgxref::model::arch {

// Folds f(cpu, page, tlb entry, EPCM entry of the slot it maps) over every TLB entry.
template <Domain D, class F>
typename D::Bool all_tlb_entries(const D& d, const State<D>& s, F&& f) {
  typename D::Bool r = d.lit(true);
  for (const Cpu<D>& c : s.cpu)
    for (size_t l = 0; l < c.tlb.size(); ++l)
      r = r && f(c, int64_t(l), c.tlb[l], at(d, s.epcm, c.tlb[l].slot));
  return r;
}

// H1 TLB safety: a CPU's TLB maps only valid enclave child pages (REG, TCS, TRIM) of the
// enclave it runs, each at the linear address it has. (That no entry grants a right the
// PTE or the EPCM lacked at fill time is the fill's own rule, access.h: an entry holds
// their intersection.)
template <Domain D>
typename D::Bool h1(const D& d, const State<D>& s) {
  return all_tlb_entries(
      d, s, [&](const Cpu<D>& c, int64_t l, const TlbEntry<D>& t, const Epcm<D>& e) {
        return !t.valid || (c.mode && in_epc(s, t.slot) && e.valid && is_child_type(e.type) &&
                            e.secs == c.secs && e.page == l);
      });
}

// Not architectural, the OS's part: no TLB entry maps another slot than the CPU's page
// table does, or grants a right that PTE lacks. It holds only while the OS follows every
// PTE change with IPIs, as Linux does.
template <Domain D>
typename D::Bool tlb_follows_page_tables(const D& d, const State<D>& s) {
  return all_tlb_entries(d, s, [&](const Cpu<D>& c, int64_t l, const TlbEntry<D>& t, const Epcm<D>&) {
    const Pte<D> p = at(d, at(d, s.pte, c.space), d.num(l));
    return !t.valid || (p.present && p.slot == t.slot && (!t.w || p.w) && (!t.x || p.x));
  });
}

// H2 Eviction safety: no TLB maps an evicted (invalid) slot, and a blocked page is cached
// only by CPUs that entered no later than it was blocked. EWB's tracking check ("every
// such CPU has left") therefore leaves no TLB entry behind.
template <Domain D>
typename D::Bool h2(const D& d, const State<D>& s) {
  return all_tlb_entries(d, s,
                         [&](const Cpu<D>& c, int64_t, const TlbEntry<D>& t, const Epcm<D>& e) {
                           const typename D::Bool cached_before_block =
                               !(e.blocked && e.stamped) || c.entry_age >= e.stamp_age;
                           return !t.valid || (in_epc(s, t.slot) && e.valid && cached_before_block);
                         });
}

// H3 Accept safety: once an enclave page has no change in progress (PR and MODIFIED
// clear), every TLB entry for it is a REG mapping with at most its current EPCM rights.
// Before EACCEPT, stale wider rights (after EMODPR) and the old type (after EMODT) may
// remain. (An entry for anything but a valid enclave page is H1's and H2's concern: PR
// and MODIFIED mean nothing there.)
template <Domain D>
typename D::Bool h3(const D& d, const State<D>& s) {
  return all_tlb_entries(d, s, [&](const Cpu<D>&, int64_t, const TlbEntry<D>& t, const Epcm<D>& e) {
    const typename D::Bool settled_child =
        in_epc(s, t.slot) && e.valid && is_child_type(e.type) && !e.pr && !e.modified;
    return !t.valid || !settled_child ||
           (e.type == pt::kReg && (!t.r || e.r) && (!t.w || e.w) && (!t.x || e.x));
  });
}

// A version slot and whether it counts: a slot of a resident VA page, or of an evicted
// VA page whose own blob is live.
template <class D>
struct VersionSlot {
  typename D::Bool live;
  typename D::Int version;
};

// H4 Anti-replay. A blob is live when its version sits in a live version slot. Every
// blob has its own version, and no version sits in two live slots: each tracked
// evicted page has exactly one live slot, and only its latest blob can match it.
template <Domain D>
typename D::Bool h4(const D& d, const State<D>& s) {
  const auto slots_with = [&](const std::vector<typename D::Bool>& blob_live) {
    std::vector<VersionSlot<D>> v;
    for (size_t p = 0; p < s.epcm.size(); ++p)
      for (const typename D::Int& ver : s.data[p].va)
        v.push_back({s.epcm[p].valid && s.epcm[p].type == pt::kVa, ver});
    for (size_t b = 0; b < s.blob.size(); ++b)
      for (const typename D::Int& ver : s.blob[b].data.va)
        v.push_back({blob_live[b] && s.blob[b].type == pt::kVa, ver});
    return v;
  };
  // Eviction trees are at most as deep as there are blobs.
  std::vector<typename D::Bool> blob_live(s.blob.size(), d.lit(false));
  std::vector<VersionSlot<D>> slots = slots_with(blob_live);
  for (size_t round = 0; round < s.blob.size(); ++round) {
    for (size_t b = 0; b < s.blob.size(); ++b) {
      const Blob<D>& x = s.blob[b];
      blob_live[b] = x.valid && x.version != 0 && any_index(d, slots.size(), [&](int64_t k) {
                       return slots[size_t(k)].live && slots[size_t(k)].version == x.version;
                     });
    }
    slots = slots_with(blob_live);
  }

  typename D::Bool ok = d.lit(true);
  for (size_t a = 0; a < s.blob.size(); ++a)
    for (size_t b = a + 1; b < s.blob.size(); ++b)
      ok = ok && !(s.blob[a].valid && s.blob[b].valid && s.blob[a].version == s.blob[b].version);
  for (size_t i = 0; i < slots.size(); ++i)
    for (size_t j = i + 1; j < slots.size(); ++j)
      ok = ok && !(slots[i].live && slots[j].live && slots[i].version != 0 &&
                   slots[i].version == slots[j].version);
  return ok;
}

// Structural well-formedness: what every reachable state satisfies besides H1-H4 (with
// leaves in flight or not).
template <Domain D>
typename D::Bool well_formed(const D& d, const State<D>& s) {
  using Bool = typename D::Bool;
  const auto is_secs = [&](const typename D::Int& slot) {
    const Epcm<D> e = at(d, s.epcm, slot);
    return in_epc(s, slot) && e.valid && e.type == pt::kSecs;
  };
  const auto users = [&](int64_t slot, int64_t i) {
    return s.cpu[size_t(i)].mode && s.cpu[size_t(i)].tcs == slot;
  };
  Bool ok = d.lit(true);
  for (size_t j = 0; j < s.epcm.size(); ++j) {
    const Epcm<D>& e = s.epcm[j];
    const PageData<D>& p = s.data[j];
    const int64_t slot = int64_t(j);
    const Bool child = e.valid && is_child_type(e.type);
    const Bool secs = e.valid && e.type == pt::kSecs;
    ok = ok && e.stamp_age <= 2 && (!e.valid || e.type <= pt::kTrim);
    // Every enclave page names a valid SECS and lies in its ELRANGE; a REG page is never
    // writable without being readable, a TCS or TRIM page has no rights at all.
    ok = ok && (!child || (is_secs(e.secs) && in_elrange(d, s, e.secs, e.page)));
    ok = ok && (!child || e.type != pt::kReg || !e.w || e.r);
    ok = ok && (!child || e.type == pt::kReg || (!e.r && !e.w && !e.x));
    // SECS and VA pages belong to no enclave and have no address, rights or state.
    ok = ok && (!e.valid || child ||
                (e.secs == 0 && e.page == 0 && !e.r && !e.w && !e.x && !e.blocked &&
                 !e.pending && !e.modified && !e.pr && !e.stamped));
    // A SECS has a legal ELRANGE, an id no other resident SECS has, and an unsaturated
    // measurement.
    ok = ok && (!secs || (elrange_ok(d, s, p.base, p.size) && p.eid >= 1 && p.mr_count >= 1 &&
                          p.mr_count < kMaxCount));
    for (size_t k = j + 1; k < s.epcm.size(); ++k)
      ok = ok && !(secs && s.epcm[k].valid && s.epcm[k].type == pt::kSecs &&
                   s.data[k].eid == p.eid);
    // A usable TCS has CSSA <= NSSA; an active one is used by exactly one CPU.
    ok = ok && (!e.valid || e.type != pt::kTcs || e.modified || p.cssa <= p.nssa);
    Bool one_user = any_index(d, s.cpu.size(), [&](int64_t i) { return users(slot, i); });
    for (size_t i = 0; i < s.cpu.size(); ++i)
      for (size_t k = i + 1; k < s.cpu.size(); ++k)
        one_user = one_user && !(users(slot, int64_t(i)) && users(slot, int64_t(k)));
    ok = ok && (!e.valid || !p.active || ((e.type == pt::kTcs || e.type == pt::kTrim) && one_user));
  }
  for (const Cpu<D>& c : s.cpu) {
    const Epcm<D> tcs = at(d, s.epcm, c.tcs);
    const Bool runs =
        is_secs(c.secs) && at(d, s.data, c.secs, &PageData<D>::init) && in_epc(s, c.tcs) &&
        tcs.valid && (tcs.type == pt::kTcs || tcs.type == pt::kTrim) && tcs.secs == c.secs &&
        at(d, s.data, c.tcs, &PageData<D>::active) &&
        at(d, s.data, c.tcs, &PageData<D>::cssa) < at(d, s.data, c.tcs, &PageData<D>::nssa) &&
        c.entry_age <= 1;
    const Bool tlb_empty =
        all_index(d, c.tlb.size(), [&](int64_t l) { return !c.tlb[size_t(l)].valid; });
    ok = ok && ite(c.mode, runs, tlb_empty) && c.space < int64_t(s.sz.spaces);
  }
  for (const Blob<D>& b : s.blob) ok = ok && (!b.valid || b.version >= 1);
  return ok;
}

}  // namespace sgxref::model::arch
