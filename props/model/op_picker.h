// File: chooses a random operation for a concrete model state. Often it is the next step
// of a flow the state is in the middle of, as an OS and an enclave would take it (an
// eviction: EBLOCK, ETRACK, IPI, EWB, then ELDU; a permission change: EMODPR, ETRACK,
// IPI, EACCEPT; an EAUG and its EACCEPTCOPY; building and mapping another enclave, in
// another address space over the same linear range). Otherwise it is a leaf at random
// with operands biased towards ones that can succeed, but sometimes anything: invalid
// and out-of-range slots and pages, altered blobs, wrong measurements (cpu, space,
// va_index, blob and word stay in range, as arch.h requires).
//
// The random source is a parameter, `R::below(n)` giving a value in [0, n), so the same
// choices serve a seeded random walk and a RapidCheck generator (whose shrinking then
// moves each choice towards 0).
#pragma once

#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "model/op.h"

namespace sgxref::model::test {

// Choices that narrow the picker for a test.
struct PickerLimits {
  // Whether ECREATE may name a base at or beyond the address space (the model refuses it
  // as non-canonical; an emulator with a real 48-bit space cannot express that).
  bool ecreate_base_outside = true;
};

template <class R>
class OpPicker {
 public:
  OpPicker(R& r, const arch::State<C>& s, PickerLimits limits = {})
      : r_(r), s_(s), limits_(limits) {}

  Op pick() {
    // A translation gone stale under a thread is what the tracking rules are about: use it
    // while it lasts.
    if (chance(70)) {
      const std::vector<Op> stale = stale_accesses();
      if (!stale.empty()) return one_of(stale);
    }
    if (!anyone_inside() && chance(40)) {
      const std::vector<Op> next = entries();
      if (!next.empty()) return one_of(next);
    }
    if (chance(60)) {
      const std::vector<Op> next = continuations();
      if (!next.empty()) return one_of(next);
    }
    if (chance(25)) {
      const std::vector<Op> next = starts();
      if (!next.empty()) return one_of(next);
    }
    return make(random_leaf());
  }

  // A two-phase leaf to park on one CPU and an operation for another CPU, which usually
  // names the same page; nothing when no such pair came up. The other operation never
  // interrupts the parked CPU (an ENCLU leaf holds it until it finishes).
  std::optional<OverlapOp> pick_overlap() {
    for (int tries = 0; tries < 8; ++tries) {
      const Op parked = pick();
      const int64_t cpu = op_cpu(parked);
      if (!two_phase(parked.leaf) || cpu < 0) continue;
      for (int other_tries = 0; other_tries < 8; ++other_tries) {
        Op other = chance(70) ? aimed_at(parked, target_of(parked)) : pick();
        const int64_t c = op_cpu(other);
        if (c == cpu || interrupts(other, cpu)) continue;
        if (c < 0 && !is_pte_move(other.leaf)) continue;
        return OverlapOp{parked, other};
      }
    }
    return std::nullopt;
  }

 private:
  using Epcm = arch::Epcm<C>;
  using SecInfo = arch::SecInfo<C>;

  int64_t below(int64_t n) { return r_.below(n); }
  bool chance(int percent) { return below(100) < percent; }
  template <class T>
  const T& one_of(const std::vector<T>& v) {
    return v[size_t(below(int64_t(v.size())))];
  }

  // Usually one of the indices in [0, n) that satisfy `want`; otherwise anything in
  // [0, n] (n being out of range).
  template <class P>
  int64_t pick(int64_t n, P&& want) {
    std::vector<int64_t> good;
    for (int64_t i = 0; i < n; ++i)
      if (want(i)) good.push_back(i);
    if (!good.empty() && chance(85)) return one_of(good);
    return below(n + 1);
  }

  const Epcm& epcm(int64_t slot) const { return s_.epcm[size_t(slot)]; }
  const arch::PageData<C>& data(int64_t slot) const { return s_.data[size_t(slot)]; }
  int64_t slots() const { return int64_t(s_.sz.slots); }
  int64_t pages() const { return int64_t(s_.sz.pages); }
  int64_t spaces() const { return int64_t(s_.sz.spaces); }
  int64_t null() const { return slots(); }
  const arch::Cpu<C>& cpu_state(int64_t c) const { return s_.cpu[size_t(c)]; }
  const arch::Pte<C>& pte(int64_t space, int64_t page) const {
    return s_.pte[size_t(space)][size_t(page)];
  }

  static bool is_secs(const Epcm& e) { return e.valid && e.type == arch::pt::kSecs; }
  static bool is_child(const Epcm& e) { return e.valid && arch::is_child_type(e.type); }
  static bool is_va(const Epcm& e) { return e.valid && e.type == arch::pt::kVa; }
  static bool is_reg(const Epcm& e) { return e.valid && e.type == arch::pt::kReg; }
  // A page enclave code can use as data (a SECINFO, a copy source, an access target).
  static bool is_data(const Epcm& e) {
    return is_reg(e) && !e.pending && !e.modified && !e.blocked && e.r;
  }

  // A CPU outside enclave mode (the kernel side), or in it (an enclave thread); any CPU
  // when there is none of the kind.
  int64_t cpu(bool in_enclave) {
    const int64_t n = int64_t(s_.sz.cpus);
    return pick(n, [&](int64_t i) { return cpu_state(i).mode == in_enclave; }) % n;
  }
  std::vector<int64_t> cpus_inside(int64_t secs) const {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < int64_t(s_.sz.cpus); ++i)
      if (cpu_state(i).mode && cpu_state(i).secs == secs) v.push_back(i);
    return v;
  }
  std::vector<int64_t> kernel_cpus() const {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < int64_t(s_.sz.cpus); ++i)
      if (!cpu_state(i).mode) v.push_back(i);
    return v;
  }

  template <class P>
  int64_t slot(P&& want) {
    return pick(slots(), [&](int64_t j) { return want(epcm(j)); });
  }
  template <class P>
  int64_t page(P&& want) {
    return pick(pages(), want);
  }
  int64_t any_page() {
    return page([](int64_t) { return true; });
  }
  // A linear page that CPU `c`'s page table maps onto an EPC slot satisfying `want`.
  template <class P>
  int64_t mapped(int64_t c, P&& want) {
    const int64_t space = cpu_state(c).space;
    return page([&](int64_t l) {
      const arch::Pte<C>& p = pte(space, l);
      return p.present && p.slot < slots() && want(epcm(p.slot));
    });
  }
  // A page of the enclave CPU `c` runs that its page table maps at its own address.
  template <class P>
  std::optional<int64_t> own_page(int64_t c, P&& want) const {
    std::vector<int64_t> v;
    const int64_t space = cpu_state(c).space;
    for (int64_t l = 0; l < pages(); ++l) {
      const arch::Pte<C>& p = pte(space, l);
      if (p.present && p.slot < slots() && want(epcm(p.slot)) &&
          epcm(p.slot).secs == cpu_state(c).secs && epcm(p.slot).page == l)
        v.push_back(l);
    }
    if (v.empty()) return std::nullopt;
    return v[0];
  }

  // Whether a CPU in enclave mode holds a writable translation of the page in `slot`.
  bool cached_writable(int64_t slot) const {
    for (const arch::Cpu<C>& c : s_.cpu) {
      if (!c.mode) continue;
      for (const arch::TlbEntry<C>& t : c.tlb)
        if (t.valid && t.w && t.slot == slot) return true;
    }
    return false;
  }

  SecInfo secinfo() {
    const int64_t roll = below(100);
    const int64_t type = roll < 50   ? arch::pt::kReg
                         : roll < 70 ? arch::pt::kTcs
                         : roll < 85 ? arch::pt::kTrim
                                     : below(6);
    return {chance(3),  type,       chance(80), chance(50),
            chance(30), chance(30), chance(30), chance(30)};
  }

  // What EACCEPT would need to confirm the page in `slot` as it is.
  static SecInfo matching(const Epcm& e) {
    return {false, e.type,    e.r,        e.w,
            e.x,   e.pending, e.modified, e.pending || e.modified ? e.pr : true};
  }
  SecInfo usually_matching(int64_t c, int64_t page) {
    const arch::Pte<C>& p = pte(cpu_state(c).space, page % pages());
    if (!p.present || p.slot >= slots() || !chance(70)) return secinfo();
    return matching(epcm(p.slot));
  }

  // The blob's own PCMD SECINFO, sometimes (or, when asked, always) with one field
  // altered.
  SecInfo pcmd(const arch::Blob<C>& b, bool alter = false) {
    SecInfo si{false, b.type, b.r, b.w, b.x, b.pending, b.modified, b.pr};
    if (!alter && chance(88)) return si;
    switch (below(8)) {
      case 0: si.type = (si.type + 1 + below(4)) % 5; break;
      case 1: si.r = !si.r; break;
      case 2: si.w = !si.w; break;
      case 3: si.x = !si.x; break;
      case 4: si.pending = !si.pending; break;
      case 5: si.modified = !si.modified; break;
      case 6: si.pr = !si.pr; break;
      default: si.reserved = true; break;
    }
    return si;
  }

  int64_t word() { return below(int64_t(s_.sz.words)); }
  int64_t content() { return chance(90) ? 1 + below(14) : below(arch::kNoData + 1); }
  int64_t small() { return chance(80) ? below(3) : below(8); }
  int64_t sig_code() {
    return chance(90) ? 0 : (chance(50) ? arch::sgx::kInvalidSignature : arch::sgx::kInvalidSigStruct);
  }
  int64_t launch_code() {
    if (chance(90)) return 0;
    return chance(50) ? arch::sgx::kInvalidAttribute : arch::sgx::kInvalidEinitToken;
  }

  // EINIT of the enclave in `secs`, usually claiming what it measured; otherwise an
  // older measurement (one event fewer) or the same count ending at another page.
  Op einit(int64_t kernel, int64_t secs) {
    const arch::PageData<C> p = secs < slots() ? data(secs) : arch::blank_page(C{}, s_.sz);
    int64_t count = p.mr_count, last = p.mr_page;
    if (chance(8)) count = count > 1 ? count - 1 : count + 1;
    if (chance(8)) last = (last + 1 + below(pages() - 1)) % pages();
    return {kEinit, arch::EinitOp<C>{kernel, secs, sig_code(), count, last, launch_code()}};
  }

  // A VA slot that holds nothing, if there is one: {VA page, index}.
  std::optional<std::pair<int64_t, int64_t>> free_va_slot() const {
    for (int64_t j = 0; j < slots(); ++j)
      for (int64_t k = 0; k < int64_t(s_.sz.va_slots); ++k)
        if (is_va(epcm(j)) && data(j).va[size_t(k)] == 0) return std::pair{j, k};
    return std::nullopt;
  }
  // Any slot of a resident VA page, or one that holds a version.
  std::optional<std::pair<int64_t, int64_t>> any_va_slot(bool occupied = false) {
    std::vector<std::pair<int64_t, int64_t>> v;
    for (int64_t j = 0; j < slots(); ++j)
      for (int64_t k = 0; k < int64_t(s_.sz.va_slots); ++k)
        if (is_va(epcm(j)) && (!occupied || data(j).va[size_t(k)] != 0)) v.push_back({j, k});
    if (v.empty()) return std::nullopt;
    return one_of(v);
  }
  std::optional<std::pair<int64_t, int64_t>> occupied_va_slot() { return any_va_slot(true); }
  // Where the VA slot holding `version` is, if a resident VA page holds it.
  std::optional<std::pair<int64_t, int64_t>> va_slot_of(int64_t version) const {
    for (int64_t j = 0; j < slots(); ++j)
      for (int64_t k = 0; k < int64_t(s_.sz.va_slots); ++k)
        if (is_va(epcm(j)) && data(j).va[size_t(k)] == version) return std::pair{j, k};
    return std::nullopt;
  }
  // A blob place that holds no live blob (or any, when all do).
  int64_t spare_blob() {
    const int64_t n = int64_t(s_.blob.size());
    return pick(n, [&](int64_t b) {
             return !s_.blob[size_t(b)].valid || !va_slot_of(s_.blob[size_t(b)].version);
           }) %
           n;
  }
  std::optional<int64_t> secs_with_eid(int64_t eid) const {
    for (int64_t j = 0; j < slots(); ++j)
      if (is_secs(epcm(j)) && data(j).eid == eid) return j;
    return std::nullopt;
  }
  std::optional<int64_t> free_slot() const {
    for (int64_t j = 0; j < slots(); ++j)
      if (!epcm(j).valid) return j;
    return std::nullopt;
  }

  // --- flows ------------------------------------------------------------------------

  bool anyone_inside() const {
    for (const arch::Cpu<C>& c : s_.cpu)
      if (c.mode) return true;
    return false;
  }

  // Whether the page in `slot` is one an enclave needs to be entered: a TCS, or an SSA
  // frame of one. Flows that take pages away mostly leave these alone.
  bool vital(int64_t slot) const {
    const Epcm& e = epcm(slot);
    if (!is_child(e)) return false;
    if (e.type == arch::pt::kTcs) return true;
    for (int64_t t = 0; t < slots(); ++t) {
      const Epcm& x = epcm(t);
      if (!x.valid || x.type != arch::pt::kTcs || x.secs != e.secs) continue;
      const int64_t first = data(e.secs).base + data(t).ossa;
      if (e.page >= first && e.page < first + data(t).nssa) return true;
    }
    return false;
  }

  // Entering an initialized enclave from a kernel CPU (or what that needs first).
  std::vector<Op> entries() {
    std::vector<Op> next;
    const std::vector<int64_t> kernel = kernel_cpus();
    for (int64_t j = 0; j < slots(); ++j)
      if (is_secs(epcm(j)) && data(j).init) enter(j, next, kernel);
    return next;
  }

  // The next steps of the flows the state is in the middle of, one kind of flow at a
  // time (so the flows with many candidates do not crowd out the others).
  std::vector<Op> continuations() {
    const std::vector<int64_t> kernel = kernel_cpus();
    std::vector<Op> paging, sgx2, reloads, building, mapping, races, fills;
    for (int64_t j = 0; j < slots(); ++j) {
      const Epcm& e = epcm(j);
      if (!is_child(e) || e.secs >= slots()) continue;
      if (e.blocked) track_then(j, paging, kernel);
      if (!e.blocked && (e.pr || e.modified)) track_then(j, sgx2, kernel);
      if (e.pending) accept_augmented(j, sgx2, kernel);
    }
    for (int64_t b = 0; b < int64_t(s_.blob.size()); ++b) reload(b, reloads, kernel);
    for (int64_t j = 0; j < slots(); ++j) {
      if (is_secs(epcm(j)) && !data(j).init) build(j, building, kernel);
      if (is_secs(epcm(j)) && data(j).init) map_enclave(j, mapping);
    }
    for (int64_t c = 0; c < int64_t(s_.sz.cpus); ++c) {
      if (!cpu_state(c).mode) continue;
      race_thread(c, races, kernel);
      for (int64_t l = 0; l < pages(); ++l) refused_fill(c, l, fills);
    }
    // A thread's races and refused fills count twice: they need a thread inside, which
    // the other flows keep taking away.
    std::vector<std::vector<Op>> kinds;
    for (std::vector<Op>* k : {&paging, &sgx2, &reloads, &building, &mapping, &races, &races,
                               &fills, &fills})
      if (!k->empty()) kinds.push_back(*k);
    if (kinds.empty()) return {};
    return one_of(kinds);
  }

  // A page stamped by EBLOCK, EMODPR or EMODT: ETRACK until tracking is correct (with
  // IPIs to the CPUs that entered before), then EWB a blocked page or EACCEPT a changed
  // one from inside.
  void track_then(int64_t j, std::vector<Op>& next, const std::vector<int64_t>& kernel) {
    const Epcm& e = epcm(j);
    const std::vector<int64_t> inside = cpus_inside(e.secs);
    bool before = false;
    for (int64_t c : inside) before = before || (e.stamped && cpu_state(c).entry_age >= e.stamp_age);
    const bool tracked = !e.stamped || (e.stamp_age >= 1 && !before);
    if (!tracked) {
      bool prev_incomplete = false;
      for (int64_t c : inside) prev_incomplete = prev_incomplete || cpu_state(c).entry_age >= 1;
      if (e.stamp_age == 0 && !prev_incomplete && !kernel.empty()) {
        next.push_back({kEtrack, arch::EtrackOp<C>{one_of(kernel), e.secs}});
      } else if (!inside.empty()) {
        next.push_back({kIpi, arch::CpuOp<C>{one_of(inside)}});
      }
      // Sometimes too early: EWB or EACCEPT before tracking is done (SGX_NOT_TRACKED).
      if (!chance(15)) return;
    }
    if (e.blocked) {
      if (kernel.empty()) return;
      const auto va = chance(75) ? free_va_slot() : occupied_va_slot();
      if (!va) return;
      next.push_back({kEwb, arch::EwbOp<C>{one_of(kernel), j, va->first, va->second, spare_blob()}});
      return;
    }
    accept(j, next, kernel);
  }

  // EACCEPT of the page in `j` by a CPU inside its enclave, or an entry to get one there.
  void accept(int64_t j, std::vector<Op>& next, const std::vector<int64_t>& kernel) {
    const Epcm& e = epcm(j);
    for (int64_t c : cpus_inside(e.secs)) {
      const auto si_page = own_page(c, is_data);
      if (!si_page) continue;
      next.push_back({kEaccept, arch::AcceptOp<C>{c, *si_page, e.page, matching(e)}});
      return;
    }
    enter(e.secs, next, kernel);
  }

  // An EAUGed page: EACCEPTCOPY from a data page (or EACCEPT) from inside.
  void accept_augmented(int64_t j, std::vector<Op>& next, const std::vector<int64_t>& kernel) {
    const Epcm& e = epcm(j);
    for (int64_t c : cpus_inside(e.secs)) {
      const auto data_page = own_page(c, is_data);
      if (!data_page) continue;
      if (chance(60)) {
        const SecInfo si{false, arch::pt::kReg, true, chance(60), chance(30), false, false, false};
        next.push_back(
            {kEacceptcopy, arch::AcceptCopyOp<C>{c, *data_page, e.page, *data_page, si}});
      } else {
        next.push_back({kEaccept, arch::AcceptOp<C>{c, *data_page, e.page, matching(e)}});
      }
      return;
    }
    enter(e.secs, next, kernel);
  }

  // EENTER or ERESUME into the enclave in `secs` through a TCS the kernel CPU's page
  // table maps; or the CR3 load or PTE that would give it one.
  void enter(int64_t secs, std::vector<Op>& next, const std::vector<int64_t>& kernel) {
    if (kernel.empty()) return;
    const int64_t c = one_of(kernel);
    for (int64_t t = 0; t < slots(); ++t) {
      const Epcm& e = epcm(t);
      if (!e.valid || e.type != arch::pt::kTcs || e.secs != secs || e.pending || e.modified ||
          e.blocked || data(t).active)
        continue;
      for (int64_t space = 0; space < spaces(); ++space) {
        const arch::Pte<C>& p = pte(space, e.page);
        if (!p.present || p.slot != t) continue;
        if (space != cpu_state(c).space) {
          next.push_back({kCr3, arch::Cr3Op<C>{c, space}});
        } else {
          const bool full = data(t).cssa >= data(t).nssa;
          const bool resume = data(t).cssa > 0 && (full || chance(40));
          next.push_back({resume ? kEresume : kEenter, arch::EnterOp<C>{c, e.page}});
        }
        return;
      }
      next.push_back({kPteSet, arch::PteSetOp<C>{cpu_state(c).space, e.page, t, true, false}});
      return;
    }
  }

  // A live blob: reload it (its SECS first, if that is what it needs), now and then with
  // one thing wrong: another address, enclave, VA slot, PCMD or ciphertext.
  void reload(int64_t b, std::vector<Op>& next, const std::vector<int64_t>& kernel) {
    const arch::Blob<C>& blob = s_.blob[size_t(b)];
    if (!blob.valid || kernel.empty()) return;
    const auto va = va_slot_of(blob.version);
    const auto to = free_slot();
    if (!va || !to) return;
    int64_t secs = null();
    if (arch::is_child_type(blob.type)) {
      const auto s = secs_with_eid(blob.eid);
      if (!s) return;
      secs = *s;
    }
    arch::EldOp<C> op{one_of(kernel), *to, va->first, va->second, b, blob.page, secs,
                      {false, blob.type, blob.r, blob.w, blob.x, blob.pending, blob.modified, blob.pr},
                      true};
    if (chance(40)) {
      switch (below(5)) {
        case 0: op.page = (op.page + 1 + below(pages() - 1)) % pages(); break;
        case 1:
          op.secs = pick(slots(), [&](int64_t j) {
            return is_secs(epcm(j)) && data(j).eid != blob.eid;
          });
          break;
        case 2:
          if (const auto other = any_va_slot()) std::tie(op.va, op.va_index) = *other;
          break;
        case 3: op.si = pcmd(blob, true); break;
        default: op.intact = false; break;
      }
    }
    next.push_back({chance(20) ? kEldb : kEldu, op});
  }

  // An enclave being built: a TCS at its base with one SSA frame after it, a data page
  // there, now and then an EEXTEND, then EINIT.
  void build(int64_t secs, std::vector<Op>& next, const std::vector<int64_t>& kernel) {
    if (kernel.empty()) return;
    const int64_t k = one_of(kernel);
    bool has_tcs = false, has_ssa = false;
    std::vector<int64_t> children;
    for (int64_t j = 0; j < slots(); ++j) {
      const Epcm& e = epcm(j);
      if (!is_child(e) || e.secs != secs) continue;
      children.push_back(j);
      has_tcs = has_tcs || e.type == arch::pt::kTcs;
      has_ssa = has_ssa || (is_reg(e) && e.page == data(secs).base + 1);
    }
    const auto to = free_slot();
    const int64_t base = data(secs).base;
    if (!has_tcs && to) {
      const SecInfo tcs{false, arch::pt::kTcs, false, false, false, false, false, false};
      next.push_back({kEadd, arch::EaddOp<C>{k, *to, secs, base, tcs, 1, 1, 0}});
    } else if (!has_ssa && to) {
      const SecInfo rw{false, arch::pt::kReg, true, true, false, false, false, false};
      next.push_back({kEadd, arch::EaddOp<C>{k, *to, secs, base + 1, rw, 0, 0, content()}});
    } else if (!children.empty() && chance(25)) {
      next.push_back({kEextend, arch::EextendOp<C>{k, secs, one_of(children)}});
    } else {
      next.push_back(einit(k, secs));
    }
  }

  // An initialized enclave's pages mapped at their addresses in its home address space:
  // where its TCS is mapped, else where nothing is mapped at its base.
  void map_enclave(int64_t secs, std::vector<Op>& next) {
    int64_t home = -1;
    for (int64_t space = 0; space < spaces() && home < 0; ++space) {
      for (int64_t j = 0; j < slots(); ++j) {
        const Epcm& e = epcm(j);
        const arch::Pte<C>& p = pte(space, e.page % pages());
        if (is_child(e) && e.secs == secs && e.type == arch::pt::kTcs && p.present && p.slot == j)
          home = space;
      }
    }
    for (int64_t space = 0; space < spaces() && home < 0; ++space)
      if (!pte(space, data(secs).base % pages()).present) home = space;
    if (home < 0) return;
    for (int64_t j = 0; j < slots(); ++j) {
      const Epcm& e = epcm(j);
      if (!is_child(e) || e.secs != secs || e.type == arch::pt::kTrim || e.page >= pages()) continue;
      const arch::Pte<C>& p = pte(home, e.page);
      if (p.present && p.slot == j) continue;
      next.push_back({kPteSet, arch::PteSetOp<C>{home, e.page, j, true, e.x || chance(30)}});
      return;
    }
  }

  // Accesses through a translation that went stale under a thread inside: the page lost
  // W in the EPCM, or the PTE changed with no IPI.
  std::vector<Op> stale_accesses() {
    std::vector<Op> stale;
    for (int64_t c = 0; c < int64_t(s_.sz.cpus); ++c) {
      const arch::Cpu<C>& cpu = cpu_state(c);
      if (!cpu.mode) continue;
      for (int64_t l = 0; l < pages(); ++l) {
        const arch::TlbEntry<C>& t = cpu.tlb[size_t(l)];
        if (!t.valid) continue;
        const Epcm& e = epcm(t.slot);
        const arch::Pte<C>& p = pte(cpu.space, l);
        if (t.w && (!e.valid || !e.w || e.type != arch::pt::kReg))
          stale.push_back({kStore, arch::AccessOp<C>{c, l, word(), content()}});
        if (!p.present || p.slot != t.slot || (t.w && !p.w)) {
          const Leaf leaf = t.w && chance(50) ? kStore : kLoad;
          if (leaf == kStore || t.r) stale.push_back({leaf, arch::AccessOp<C>{c, l, word(), content()}});
        }
      }
    }
    return stale;
  }

  // What races with a thread inside an enclave: EMODPR taking W (or R) from a page it
  // caches, PTE changes under its cached translations, an ETRACK while it entered before
  // the last one.
  void race_thread(int64_t c, std::vector<Op>& next, const std::vector<int64_t>& kernel) {
    const arch::Cpu<C>& cpu = cpu_state(c);
    for (int64_t l = 0; l < pages(); ++l) {
      const arch::TlbEntry<C>& t = cpu.tlb[size_t(l)];
      if (!t.valid) continue;
      const Epcm& e = epcm(t.slot);
      const arch::Pte<C>& p = pte(cpu.space, l);
      // Through the TLB again.
      if (chance(30)) {
        const Leaf leaf = t.w && chance(50) ? kStore : t.x && chance(30) ? kFetch : kLoad;
        if (leaf != kLoad || t.r) next.push_back({leaf, arch::AccessOp<C>{c, l, word(), content()}});
      }
      if (is_reg(e) && !e.pending && !e.modified && !e.pr && !kernel.empty()) {
        const SecInfo r{false, arch::pt::kReg, chance(40), false, chance(50), false, false, false};
        next.push_back({kEmodpr, arch::ModifyOp<C>{one_of(kernel), t.slot, r}});
      }
      if (p.present && p.slot == t.slot) {
        next.push_back(chance(50) ? Op{kPteClearNoIpi, arch::PteClearOp<C>{cpu.space, l}}
                                  : Op{kPteSetNoIpi, arch::PteSetOp<C>{cpu.space, l, t.slot, false, false}});
      }
    }
    if (cpu.entry_age >= 1 && !kernel.empty())
      next.push_back({kEtrack, arch::EtrackOp<C>{one_of(kernel), cpu.secs}});
    // Pages the thread will find wrong when it walks to them: one of its enclave's pages
    // mapped at another of its addresses, or changed to TRIM under it.
    const arch::PageData<C>& secs = data(cpu.secs);
    for (int64_t j = 0; j < slots(); ++j) {
      const Epcm& e = epcm(j);
      if (!is_reg(e) || e.secs != cpu.secs || vital(j)) continue;
      const int64_t l = secs.base + below(secs.size);
      if (l != e.page && l < pages() && !cpu.tlb[size_t(l)].valid && !vital_page(cpu.secs, l))
        next.push_back({kPteSetNoIpi, arch::PteSetOp<C>{cpu.space, l, j, true, true}});
      if (!e.pending && !e.modified && !kernel.empty()) {
        const SecInfo trim{false, arch::pt::kTrim, false, false, false, false, false, false};
        next.push_back({kEmodt, arch::ModifyOp<C>{one_of(kernel), j, trim}});
      }
    }
  }

  // Whether linear page `l` holds a page the enclave in `secs` needs to be entered.
  bool vital_page(int64_t secs, int64_t l) const {
    for (int64_t j = 0; j < slots(); ++j)
      if (is_child(epcm(j)) && epcm(j).secs == secs && epcm(j).page == l && vital(j)) return true;
    return false;
  }

  // A load, store or fetch by CPU `c` of linear page `l` whose TLB fill exactly one EPCM
  // check refuses (the type and MODIFIED checks fail together with the rights: a TCS or
  // TRIM page has none).
  void refused_fill(int64_t c, int64_t l, std::vector<Op>& next) {
    const arch::Cpu<C>& cpu = cpu_state(c);
    if (cpu.tlb[size_t(l)].valid) return;
    const arch::PageData<C>& secs = data(cpu.secs);
    const arch::Pte<C>& p = pte(cpu.space, l);
    if (l < secs.base || l - secs.base >= secs.size || !p.present) return;
    const bool epc = p.slot < slots();
    const Epcm e = epc ? epcm(p.slot) : Epcm{};
    for (const Leaf leaf : {kLoad, kStore, kFetch}) {
      if ((leaf == kStore && !p.w) || (leaf == kFetch && !p.x)) continue;
      const bool right = leaf == kStore ? e.w : leaf == kFetch ? e.x : e.r;
      const int failing = !e.valid ? 1
                                   : int(e.secs != cpu.secs) + int(e.page != l) +
                                         int(e.type != arch::pt::kReg || e.modified) +
                                         int(e.blocked) + int(e.pending) +
                                         int(!right && e.type == arch::pt::kReg);
      if (failing == 1) next.push_back({leaf, arch::AccessOp<C>{c, l, word(), content()}});
    }
  }

  // Starting a flow, mostly on pages enclaves can do without: EMODPR (usually of a page a
  // thread caches writable), EBLOCK, EMODT to TRIM or TCS, EAUG, EREMOVE of an accepted
  // TRIM page; building a second enclave; and pages mapped to trip a TLB fill: at
  // another address, executable where the EPCM is not.
  std::vector<Op> starts() {
    std::vector<Op> next;
    const std::vector<int64_t> kernel = kernel_cpus();
    if (kernel.empty()) return next;
    const int64_t k = one_of(kernel);
    int64_t enclaves = 0;
    for (int64_t j = 0; j < slots(); ++j) {
      const Epcm& e = epcm(j);
      enclaves += is_secs(e) ? 1 : 0;
      if (!is_child(e) || e.secs >= slots() || !data(e.secs).init) continue;
      if (vital(j) && chance(80)) continue;
      if (is_reg(e) && !e.pending && !e.modified && !e.pr) {
        const SecInfo si{false, arch::pt::kReg, chance(40), chance(20), chance(40), false, false, false};
        next.push_back({kEmodpr, arch::ModifyOp<C>{k, j, si}});
      }
      if (!e.blocked) next.push_back({kEblock, arch::PageOp<C>{k, j}});
      if (is_reg(e) && !e.pending && !e.modified && chance(30)) {
        const int64_t type = chance(70) ? arch::pt::kTrim : arch::pt::kTcs;
        const SecInfo si{false, type, false, false, false, false, false, false};
        next.push_back({kEmodt, arch::ModifyOp<C>{k, j, si}});
      }
      if (e.type == arch::pt::kTrim && !e.modified) next.push_back({kEremove, arch::PageOp<C>{k, j}});
      const int64_t space = below(spaces());
      const int64_t elsewhere = (e.page + 1 + below(pages() - 1)) % pages();
      next.push_back({kPteSet, arch::PteSetOp<C>{space, elsewhere, j, true, true}});
      next.push_back({kPteSet, arch::PteSetOp<C>{space, e.page % pages(), j, chance(50), true}});
    }
    const auto to = free_slot();
    for (int64_t j = 0; j < slots() && to; ++j) {
      if (is_secs(epcm(j)) && data(j).init) {
        next.push_back({kEaug, arch::EaugOp<C>{k, *to, j, data(j).base + below(data(j).size)}});
      }
    }
    if (enclaves < 2 && to) {
      const SecInfo secs{false, arch::pt::kSecs, false, false, false, false, false, false};
      next.push_back({kEcreate, arch::EcreateOp<C>{k, *to, secs, 0, pages(), true}});
    }
    return next;
  }

  // --- operations at random ---------------------------------------------------------

  // While a CPU is inside an enclave, most operations are its own (EACCEPT, accesses...);
  // while none is, entries are frequent.
  Leaf random_leaf() {
    static constexpr Leaf kEnclaveSide[] = {kEaccept, kEaccept, kEacceptcopy, kEmodpe, kEexit,
                                            kEreport, kLoad,    kLoad,        kStore,  kStore,
                                            kStore,   kFetch,   kStoreTcs};
    bool inside = false;
    for (const arch::Cpu<C>& c : s_.cpu) inside = inside || c.mode;
    Leaf leaf = Leaf(below(kLeafCount));
    if (inside && chance(10)) {
      // What races with a running enclave thread: restricting a page it may have cached,
      // tracking the enclave it runs, and changing the page table under it.
      const int64_t roll = below(3);
      leaf = roll == 0 ? kEmodpr : roll == 1 ? kEtrack : kPteSetNoIpi;
    } else if (inside && chance(60)) {
      leaf = kEnclaveSide[below(13)];
    } else if (!inside && chance(30)) {
      leaf = chance(70) ? kEenter : kEresume;
    } else if ((leaf == kAex || leaf == kIpi || leaf == kPteClear || leaf == kPteClearNoIpi ||
                leaf == kCr3) &&
               chance(60)) {
      leaf = Leaf(below(kLeafCount));
    }
    return leaf;
  }

  // An operation on the page in `slot` by another leaf: what an overlap races with.
  // Against an SGX2 leaf, usually another SGX2 leaf: by the kernel on the slot, or by a
  // thread on a page that maps it.
  Op aimed_at(const Op& parked, int64_t slot) {
    static constexpr Leaf kSgx2[] = {kEmodpr, kEmodt, kEaccept, kEacceptcopy, kEmodpe};
    static constexpr Leaf kPaging[] = {kEwb, kEldb, kEldu};
    const bool sgx2 = parked.leaf >= kEmodpr && parked.leaf <= kEmodpe;
    const bool paging = parked.leaf == kEwb || parked.leaf == kEldb || parked.leaf == kEldu;
    Leaf leaf = Leaf(below(kEresume + 1));
    if (sgx2 && chance(70)) leaf = kSgx2[below(5)];
    if (paging && chance(60)) leaf = kPaging[below(3)];
    if (parked.leaf == kEtrack && chance(70)) leaf = chance(70) ? kEwb : kEtrack;
    Op op = make(leaf);
    // EWB against ETRACK: a page of the enclave ETRACK holds, the way the reclaimer's is.
    if (parked.leaf == kEtrack && leaf == kEwb) {
      auto& ewb = std::get<arch::EwbOp<C>>(op.args);
      ewb.slot = pick(slots(), [&](int64_t j) { return is_child(epcm(j)) && epcm(j).secs == slot; });
      return op;
    }
    // ELDx and EWB against each other: the same VA slot.
    if (paging && (leaf == kEwb || leaf == kEldb || leaf == kEldu) && chance(70)) {
      std::visit(
          [&](const auto& p) {
            if constexpr (requires { p.va_index; }) {
              std::visit(
                  [&](auto& a) {
                    if constexpr (requires { a.va_index; }) {
                      a.va = p.va;
                      a.va_index = p.va_index;
                    }
                  },
                  op.args);
            }
          },
          parked.args);
      return op;
    }
    if (slot >= 0 && slot < slots()) aim_enclu(op, slot);
    if (slot < 0 || slot >= slots()) return op;
    std::visit(
        [&](auto& a) {
          if constexpr (requires { a.slot; }) {
            a.slot = slot;
          } else if constexpr (requires { a.secs; }) {
            a.secs = slot;
          }
        },
        op.args);
    return op;
  }

  // Points an ENCLU leaf's target at a linear page its CPU maps onto `slot`, if any.
  void aim_enclu(Op& op, int64_t slot) {
    const int64_t c = op_cpu(op);
    if (c < 0) return;
    for (int64_t l = 0; l < pages(); ++l) {
      const arch::Pte<C>& p = pte(cpu_state(c).space, l);
      if (!p.present || p.slot != slot) continue;
      std::visit(
          [&](auto& a) {
            if constexpr (requires { a.secinfo; a.page; }) a.page = l;
          },
          op.args);
      return;
    }
  }

  // The EPC slot an operation names as its target (RCX, or the page an ENCLU operand
  // maps to), if it has one.
  int64_t target_of(const Op& op) const {
    return std::visit(
        [&](const auto& a) -> int64_t {
          if constexpr (requires { a.slot; }) {
            return a.slot;
          } else if constexpr (requires { a.secs; }) {
            return a.secs;
          } else if constexpr (requires { a.page; a.cpu; }) {
            const arch::Pte<C>& p = pte(cpu_state(a.cpu).space, a.page % pages());
            return p.present ? p.slot : -1;
          } else if constexpr (requires { a.tcs; }) {
            const arch::Pte<C>& p = pte(cpu_state(a.cpu).space, a.tcs % pages());
            return p.present ? p.slot : -1;
          } else {
            return -1;
          }
        },
        op.args);
  }

  Op make(Leaf leaf) {
    using namespace arch;
    const auto free_page = [](const Epcm& e) { return !e.valid; };
    const auto any_valid = [](const Epcm& e) { return e.valid; };
    const auto tcs = [](const Epcm& e) { return e.valid && e.type == pt::kTcs; };
    const auto changed = [](const Epcm& e) { return e.valid && (e.pending || e.modified || e.pr); };
    const auto pending = [](const Epcm& e) { return e.valid && e.pending; };
    const auto writable = [](const Epcm& e) { return is_data(e) && e.w; };
    const int64_t kernel = cpu(false);
    const int64_t thread = cpu(true);
    switch (leaf) {
      case kEcreate: {
        const int64_t size = chance(50) ? 2 : chance(80) ? 4 : 1 + below(8);
        const int64_t span = limits_.ecreate_base_outside ? pages() + 2 : pages();
        const int64_t base = chance(80) ? (size == 2 ? 2 * below(2) : 0) : below(span);
        const SecInfo si{chance(3), chance(95) ? pt::kSecs : below(6), false, false,
                         false,     false,                              false, false};
        return {leaf, EcreateOp<C>{kernel, slot(free_page), si, base, size, chance(95)}};
      }
      case kEadd: {
        // A TCS's words are its reserved bytes: usually zero.
        const SecInfo si = secinfo();
        const int64_t words = si.type == pt::kTcs && chance(90) ? 0 : content();
        return {leaf, EaddOp<C>{kernel, slot(free_page), slot(is_secs), any_page(), si,
                                1 + below(2), small(), words}};
      }
      case kEextend:
        return {leaf, EextendOp<C>{kernel, slot(is_secs), slot(is_child)}};
      case kEinit:
        return einit(kernel, slot(is_secs));
      case kEpa:
        return {leaf, PageOp<C>{kernel, slot(free_page)}};
      case kEblock:
        return {leaf, PageOp<C>{kernel, slot(is_child)}};
      case kEtrack:
        return {leaf, EtrackOp<C>{kernel, slot(is_secs)}};
      case kEwb:
        return {leaf, EwbOp<C>{kernel, slot(any_valid), slot(is_va),
                               below(int64_t(s_.sz.va_slots)), spare_blob()}};
      case kEldb:
      case kEldu: {
        const int64_t nblobs = int64_t(s_.blob.size());
        const int64_t b = pick(nblobs, [&](int64_t k) { return s_.blob[size_t(k)].valid; }) % nblobs;
        const Blob<C>& blob = s_.blob[size_t(b)];
        const int64_t p = chance(80) ? blob.page : any_page();
        int64_t v = slot(is_va), index = below(int64_t(s_.sz.va_slots));
        // Usually the VA slot that holds the blob's version, if one does.
        if (const auto at = va_slot_of(blob.version); at && chance(80)) {
          v = at->first;
          index = at->second;
        }
        // The blob's enclave, or no SECS at all for a SECS or VA page.
        const int64_t s = is_child_type(blob.type) || !chance(85)
                              ? pick(slots(), [&](int64_t j) {
                                  return is_secs(epcm(j)) && data(j).eid == blob.eid;
                                })
                              : null();
        return {leaf, EldOp<C>{kernel, slot(free_page), v, index, b, p, s, pcmd(blob),
                               leaf == kEldb || chance(95)}};
      }
      case kEremove:
        return {leaf, PageOp<C>{kernel, slot(any_valid)}};
      case kEaug:
        return {leaf, EaugOp<C>{kernel, slot(free_page), slot(is_secs), any_page()}};
      case kEmodpr: {
        // Usually a page some CPU's TLB holds writable, else any REG page.
        const int64_t cached =
            pick(slots(), [&](int64_t j) { return is_reg(epcm(j)) && cached_writable(j); });
        const int64_t target = cached < slots() && chance(70) ? cached : slot(is_reg);
        return {leaf, ModifyOp<C>{kernel, target, secinfo()}};
      }
      case kEmodt:
        return {leaf, ModifyOp<C>{kernel, slot(is_child), secinfo()}};
      case kEaccept: {
        const int64_t p = mapped(thread, changed);
        return {leaf, AcceptOp<C>{thread, mapped(thread, is_data), p, usually_matching(thread, p)}};
      }
      case kEacceptcopy: {
        SecInfo info = secinfo();
        info.type = chance(80) ? pt::kReg : info.type;
        return {leaf, AcceptCopyOp<C>{thread, mapped(thread, is_data), mapped(thread, pending),
                                      mapped(thread, is_data), info}};
      }
      case kEmodpe:
        return {leaf, AcceptOp<C>{thread, mapped(thread, is_data), mapped(thread, is_data),
                                  secinfo()}};
      case kEenter:
      case kEresume:
        return {leaf, EnterOp<C>{kernel, mapped(kernel, tcs)}};
      case kEexit:
      case kAex:
        return {leaf, CpuOp<C>{thread}};
      case kEreport:
        return {leaf, EreportOp<C>{thread, mapped(thread, is_data), mapped(thread, is_data),
                                   mapped(thread, writable), slot(is_secs)}};
      case kIpi:
        return {leaf, CpuOp<C>{below(int64_t(s_.sz.cpus))}};
      case kLoad:
      case kStore:
      case kFetch: {
        // Half the time a page of the thread's own enclave, else any mapped page.
        const bool own = chance(50);
        const int64_t p = mapped(thread, [&](const Epcm& e) {
          return !own || (e.valid && e.secs == cpu_state(thread).secs);
        });
        return {leaf, AccessOp<C>{thread, p, word(), leaf == kStore ? content() : 0}};
      }
      case kStoreTcs:
        return {leaf, StoreTcsOp<C>{thread, mapped(thread, is_data), 0, 1 + below(2), small()}};
      case kPteSet:
      case kPteSetNoIpi: {
        // Usually an enclave page that its own address does not map yet in the space.
        const int64_t space = below(spaces());
        const int64_t j = pick(slots(), [&](int64_t k) {
          const Epcm& e = epcm(k);
          const arch::Pte<C>& p = pte(space, e.page % pages());
          return is_child(e) && !(p.present && p.slot == k);
        });
        const int64_t l = j < slots() && chance(80) ? epcm(j).page % pages() : any_page() % pages();
        return {leaf, PteSetOp<C>{space, l, j, chance(70), chance(40)}};
      }
      case kCr3:
        return {leaf, Cr3Op<C>{kernel, below(spaces())}};
      case kPteClear:
      case kPteClearNoIpi:
      case kLeafCount:
        break;
    }
    return {leaf == kPteClearNoIpi ? kPteClearNoIpi : kPteClear,
            PteClearOp<C>{below(spaces()), any_page() % pages()}};
  }

  R& r_;
  const arch::State<C>& s_;
  PickerLimits limits_;
};

}  // namespace sgxref::model::test
