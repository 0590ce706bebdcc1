// File: memory accesses by a CPU (docs/model.md "Accesses"): load, store, fetch of one
// word of a page's contents, and a store that writes a TCS image into a page (what the
// selftests' INIT_TCS_PAGE does before EMODT turns the page into a TCS).
//
// Inside ELRANGE, in enclave mode: a TLB entry with the right is used with no other
// check, stale or not; otherwise the page walk and the EPCM checks decide and a
// success fills the TLB with the EPCM rights intersected with the PTE's. Outside
// enclave mode or ELRANGE, only the page walk applies, except that enclave code cannot
// fetch from outside its ELRANGE (#GP); the model keeps no other memory, so such a load
// reads kNoData (all ones, as from the abort page) and such a store goes nowhere.
// A fault in enclave mode causes an AEX.
#pragma once

#include "arch/common.h"

namespace sgxref::model::arch {

enum class Access { kLoad, kStore, kFetch };

template <class D>
struct AccessOp {
  typename D::Int cpu, page;
  typename D::Int word;   // which word of the page (< Sizes::words)
  typename D::Int value;  // what a store writes

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("page", s.page...);
    f("word", s.word...);
    f("value", s.value...);
  }
};

template <class D>
struct Accessed {
  Outcome<D> out;
  typename D::Bool done;          // it did not fault
  typename D::Bool enclave_page;  // it reached an EPC page of the running enclave...
  typename D::Int slot;           // ...this one
};

template <Domain D>
Accessed<D> access(const D& d, State<D>& s, const AccessOp<D>& op, Access a) {
  const bool store = a == Access::kStore;
  const bool fetch = a == Access::kFetch;
  const int64_t bits = pfec::kU | (store ? pfec::kW : 0) | (fetch ? pfec::kI : 0);
  const auto right = [&](const auto& x) { return store ? x.w : fetch ? x.x : x.r; };
  const Running<D> me = running(d, s, op.cpu);
  const typename D::Bool in_space = op.page < int64_t(s.sz.pages);

  // 1. A cached translation with the right is used as it is. One without the right is
  //    walked again (its refill or the AEX below replaces it).
  const TlbEntry<D> t = at(d, at(d, s.cpu, op.cpu, &Cpu<D>::tlb), op.page);
  const typename D::Bool hit = me.mode && in_space && t.valid && right(t);

  // 2. Enclave code runs only from ELRANGE: a fetch outside it is #GP before any walk.
  Checks<D> c(d);
  if (fetch) c.gp_if(me.mode && !in_elrange(d, s, me.secs, op.page));

  // 3. The page walk.
  const Pte<D> p = pte_of(d, s, op.cpu, op.page);
  c.pf_if(!hit && !(in_space && p.present), op.page, bits);
  const typename D::Bool pte_lacks = store ? !p.w : fetch ? !p.x : d.lit(false);
  c.pf_if(!hit && pte_lacks, op.page, pfec::kP | bits);

  // 4. The EPCM checks, for an enclave access inside ELRANGE.
  const typename D::Bool enclave = me.mode && in_elrange(d, s, me.secs, op.page);
  const Epcm<D> e = at(d, s.epcm, p.slot);
  const typename D::Bool epcm_ok = in_epc(s, p.slot) && e.valid && e.secs == me.secs &&
                                   e.page == op.page && e.type == pt::kReg && !e.blocked &&
                                   !e.pending && !e.modified && right(e);
  c.pf_if(!hit && enclave && !epcm_ok, op.page, pfec::kP | pfec::kSgx | bits);

  // 5. A successful walk fills the TLB.
  const typename D::Bool fill = c.ok() && !hit && enclave;
  const TlbEntry<D> n{d.lit(true), p.slot, e.r, e.w && p.w, e.x && p.x};
  for (size_t i = 0; i < s.cpu.size(); ++i)
    put(d, s.cpu[i].tlb, op.page, fill && op.cpu == int64_t(i), n);

  const typename D::Bool done = c.ok();
  const Outcome<D> out = deliver(d, s, op.cpu, c.outcome());
  return {out, done, done && (hit || enclave), ite(hit, t.slot, p.slot)};
}

// A load or fetch answers the word it read: from the enclave page it reached, or
// kNoData from anywhere else.
template <Domain D>
Outcome<D> read_word(const D& d, State<D>& s, const AccessOp<D>& op, Access how) {
  Accessed<D> a = access(d, s, op, how);
  const typename D::Int word = at(d, at(d, s.data, a.slot, &PageData<D>::words), op.word);
  a.out.value = ite(a.done, ite(a.enclave_page, word, d.num(kNoData)), d.num(0));
  return a.out;
}

template <Domain D>
Outcome<D> load(const D& d, State<D>& s, const AccessOp<D>& op) {
  return read_word(d, s, op, Access::kLoad);
}

template <Domain D>
Outcome<D> fetch(const D& d, State<D>& s, const AccessOp<D>& op) {
  return read_word(d, s, op, Access::kFetch);
}

template <Domain D>
Outcome<D> store(const D& d, State<D>& s, const AccessOp<D>& op) {
  const Accessed<D> a = access(d, s, op, Access::kStore);
  std::vector<typename D::Int> words = at(d, s.data, a.slot, &PageData<D>::words);
  put(d, words, op.word, d.lit(true), op.value);
  put(d, s.data, a.slot, a.enclave_page, &PageData<D>::words, words);
  return a.out;
}

template <class D>
struct StoreTcsOp {
  typename D::Int cpu, page;
  typename D::Int cssa, nssa, ossa;  // the TCS fields written

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("page", s.page...);
    f("cssa", s.cssa...);
    f("nssa", s.nssa...);
    f("ossa", s.ossa...);
  }
};

// A store of a TCS image (its CSSA, NSSA and OSSA fields) into an enclave page.
template <Domain D>
Outcome<D> store_tcs(const D& d, State<D>& s, const StoreTcsOp<D>& op) {
  const Accessed<D> a = access(d, s, AccessOp<D>{op.cpu, op.page, d.num(0), d.num(0)}, Access::kStore);
  put(d, s.data, a.slot, a.enclave_page, &PageData<D>::cssa, op.cssa);
  put(d, s.data, a.slot, a.enclave_page, &PageData<D>::nssa, op.nssa);
  put(d, s.data, a.slot, a.enclave_page, &PageData<D>::ossa, op.ossa);
  return a.out;
}

}  // namespace sgxref::model::arch
