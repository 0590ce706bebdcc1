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

// H1, the EPCM half: a CPU's TLB maps only valid EPC slots of the enclave it runs, each
// at the linear address it has.
template <Domain D>
typename D::Bool h1_epcm(const D& d, const State<D>& s) {
  return all_tlb_entries(
      d, s, [&](const Cpu<D>& c, int64_t l, const TlbEntry<D>& t, const Epcm<D>& e) {
        return !t.valid ||
               (c.mode && in_epc(s, t.slot) && e.valid && e.secs == c.secs && e.page == l);
      });
}

// H1, the page-table half: no TLB entry maps another slot or grants a right the PTE
// lacks. The architecture leaves this to the OS (a PTE change must be followed by IPIs).
template <Domain D>
typename D::Bool h1_pte(const D& d, const State<D>& s) {
  return all_tlb_entries(d, s, [&](const Cpu<D>&, int64_t l, const TlbEntry<D>& t, const Epcm<D>&) {
    const Pte<D>& p = s.pte[size_t(l)];
    return !t.valid || (p.present && p.slot == t.slot && (!t.w || p.w) && (!t.x || p.x));
  });
}

// H1 TLB safety.
template <Domain D>
typename D::Bool h1(const D& d, const State<D>& s) {
  return h1_epcm(d, s) && h1_pte(d, s);
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

// H3 Accept safety: once a page has no change in progress (PR and MODIFIED clear), every
// TLB entry for it is a REG mapping with at most its current EPCM rights. Before
// EACCEPT, stale wider rights (after EMODPR) and the old type (after EMODT) may remain.
// (An entry outside the EPC is H1's and H2's concern.)
template <Domain D>
typename D::Bool h3(const D& d, const State<D>& s) {
  return all_tlb_entries(d, s, [&](const Cpu<D>&, int64_t, const TlbEntry<D>& t, const Epcm<D>& e) {
    const typename D::Bool settled = !e.pr && !e.modified;
    return !t.valid || !in_epc(s, t.slot) || !settled ||
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

// Structural well-formedness: what every reachable state satisfies besides H1-H4.
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
  // No leaf is left half-done between steps.
  Bool ok = s.next_eid >= 1 && s.next_version >= 1 && !s.held;
  for (size_t j = 0; j < s.epcm.size(); ++j) {
    const Epcm<D>& e = s.epcm[j];
    const PageData<D>& p = s.data[j];
    const int64_t slot = int64_t(j);
    ok = ok && e.stamp_age <= 2 && (!e.valid || e.type <= pt::kTrim);
    // Every enclave page names a valid SECS and lies in its ELRANGE.
    ok = ok && (!e.valid || !is_child_type(e.type) ||
                (is_secs(e.secs) && in_elrange(d, s, e.secs, e.page)));
    ok = ok && (!e.valid || e.type != pt::kSecs ||
                (elrange_ok(d, s, p.base, p.size) && p.eid >= 1 && p.eid < s.next_eid));
    ok = ok && (!e.valid || e.type != pt::kVa || all_index(d, p.va.size(), [&](int64_t k) {
           return p.va[size_t(k)] < s.next_version;
         }));
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
    ok = ok && ite(c.mode, runs, tlb_empty);
  }
  for (const Blob<D>& b : s.blob)
    ok = ok && (!b.valid || (b.version >= 1 && b.version < s.next_version));
  return ok;
}

}  // namespace sgxref::model::arch
