// File: chooses a random operation for a concrete model state, with operands biased
// towards ones that can succeed (a free slot for ECREATE, a TCS page for EENTER, the VA
// slot that holds a blob's version for ELDU, ...) but sometimes anything, out-of-range
// slots and pages included (cpu, va_index and blob stay in range, as arch.h requires).
// The random source is a parameter, `R::below(n)` giving a value in [0, n), so the
// same choices serve a seeded random walk and a RapidCheck generator (whose shrinking
// then moves each choice towards 0).
#pragma once

#include <cstdint>
#include <vector>

#include "model/op.h"

namespace sgxref::model::test {

// Choices that narrow the picker for a test: ECREATE's base, an in-range linear page.
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

  // While a CPU is inside an enclave, most operations are its own (EACCEPT,
  // accesses...); while none is, entries are frequent. Exits are rarer than the rest.
  Op pick() {
    // Weighted: accesses (which usually succeed, keeping the thread inside) most.
    static constexpr Leaf kEnclaveSide[] = {kEaccept, kEaccept, kEacceptcopy, kEmodpe,
                                            kEexit,   kLoad,    kLoad,        kStore,
                                            kStore,   kStore,   kFetch,       kStoreTcs};
    bool inside = false;
    for (const arch::Cpu<C>& c : s_.cpu) inside = inside || c.mode;
    Leaf leaf = Leaf(below(kLeafCount));
    if (inside && chance(10)) {
      // What races with a running enclave thread: restricting a page it may have cached,
      // and tracking the enclave it runs.
      leaf = chance(50) ? kEmodpr : kEtrack;
    } else if (inside && chance(60)) {
      leaf = kEnclaveSide[below(12)];
    } else if (!inside && chance(30)) {
      leaf = chance(70) ? kEenter : kEresume;
    } else if ((leaf == kAex || leaf == kIpi || leaf == kPteClear) && chance(60)) {
      leaf = Leaf(below(kLeafCount));
    }
    return make(leaf);
  }

 private:
  using Epcm = arch::Epcm<C>;

  int64_t below(int64_t n) { return r_.below(n); }
  bool chance(int percent) { return below(100) < percent; }

  // Usually one of the indices in [0, n) that satisfy `want`; otherwise anything in
  // [0, n] (n being out of range).
  template <class P>
  int64_t pick(int64_t n, P&& want) {
    std::vector<int64_t> good;
    for (int64_t i = 0; i < n; ++i)
      if (want(i)) good.push_back(i);
    if (!good.empty() && chance(85)) return good[size_t(below(int64_t(good.size())))];
    return below(n + 1);
  }

  const Epcm& epcm(int64_t slot) const { return s_.epcm[size_t(slot)]; }
  int64_t slots() const { return int64_t(s_.sz.slots); }
  int64_t pages() const { return int64_t(s_.sz.pages); }

  // A linear page whose PTE maps an EPC slot with an EPCM entry satisfying `want`.
  template <class P>
  int64_t mapped(P&& want) {
    return page([&](int64_t l) {
      const arch::Pte<C>& p = s_.pte[size_t(l)];
      return p.present && p.slot < slots() && want(epcm(p.slot));
    });
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
  int64_t cpu(bool in_enclave) {
    const int64_t n = int64_t(s_.sz.cpus);
    return pick(n, [&](int64_t i) { return s_.cpu[size_t(i)].mode == in_enclave; }) % n;
  }

  // Whether a CPU in enclave mode holds a writable translation of the page `e` describes.
  bool cached_writable(const Epcm& e) const {
    for (const arch::Cpu<C>& c : s_.cpu) {
      if (!c.mode || e.page >= pages()) continue;
      const arch::TlbEntry<C>& t = c.tlb[size_t(e.page)];
      if (t.valid && t.w && t.slot < slots() && &epcm(t.slot) == &e) return true;
    }
    return false;
  }

  arch::SecInfo<C> secinfo() {
    const int64_t roll = below(100);
    const int64_t type = roll < 50   ? arch::pt::kReg
                         : roll < 70 ? arch::pt::kTcs
                         : roll < 85 ? arch::pt::kTrim
                                     : below(6);
    return {chance(3),  type,       chance(80), chance(50),
            chance(30), chance(30), chance(30), chance(30)};
  }

  // What EACCEPT would need to confirm the page as it is, usually.
  arch::SecInfo<C> matching(int64_t page) {
    const arch::Pte<C>& p = s_.pte[size_t(page % pages())];
    if (!p.present || p.slot >= slots() || !chance(70)) return secinfo();
    const Epcm& e = epcm(p.slot);
    return {false, e.type,    e.r,        e.w,
            e.x,   e.pending, e.modified, e.pending || e.modified ? e.pr : true};
  }

  int64_t small() { return chance(80) ? below(3) : below(8); }
  int64_t sig_code() {
    return chance(85) ? 0 : (chance(50) ? arch::sgx::kInvalidSignature : arch::sgx::kInvalidSigStruct);
  }
  int64_t launch_code() {
    if (chance(85)) return 0;
    const int64_t roll = below(3);
    return roll == 0   ? arch::sgx::kInvalidMeasurement
           : roll == 1 ? arch::sgx::kInvalidAttribute
                       : arch::sgx::kInvalidEinitToken;
  }

  Op make(Leaf leaf) {
    using namespace arch;
    const auto free_slot = [](const Epcm& e) { return !e.valid; };
    const auto secs = [](const Epcm& e) { return e.valid && e.type == pt::kSecs; };
    const auto child = [](const Epcm& e) { return e.valid && is_child_type(e.type); };
    const auto va = [](const Epcm& e) { return e.valid && e.type == pt::kVa; };
    const auto reg = [](const Epcm& e) { return e.valid && e.type == pt::kReg; };
    const auto any_valid = [](const Epcm& e) { return e.valid; };
    const auto tcs = [](const Epcm& e) { return e.valid && e.type == pt::kTcs; };
    // Pages enclave code can use as data, and pages with a change to accept.
    const auto data = [](const Epcm& e) {
      return e.valid && e.type == pt::kReg && !e.pending && !e.modified && !e.blocked && e.r;
    };
    const auto changed = [](const Epcm& e) { return e.valid && (e.pending || e.modified || e.pr); };
    const auto pending = [](const Epcm& e) { return e.valid && e.pending; };
    const int64_t kernel = cpu(false);
    const int64_t thread = cpu(true);
    switch (leaf) {
      case kEcreate: {
        const int64_t size = chance(50) ? 2 : chance(80) ? 4 : 1 + below(8);
        const int64_t span = limits_.ecreate_base_outside ? pages() + 2 : pages();
        const int64_t base = chance(80) ? (size == 2 ? 2 * below(2) : 0) : below(span);
        return {leaf, EcreateOp<C>{kernel, slot(free_slot), SecInfo<C>{chance(3), chance(95) ? pt::kSecs : below(6), false, false, false, false, false, false},
                                   base, size, chance(95)}};
      }
      case kEadd: {
        const int64_t s = slot(secs);
        return {leaf, EaddOp<C>{kernel, slot(free_slot), s, any_page(), secinfo(), 1 + below(2),
                                small()}};
      }
      case kEextend:
        return {leaf, EextendOp<C>{kernel, slot(secs), slot(child)}};
      case kEinit:
        return {leaf, EinitOp<C>{kernel, slot(secs), sig_code(), launch_code()}};
      case kEpa:
        return {leaf, PageOp<C>{kernel, slot(free_slot)}};
      case kEblock:
        return {leaf, PageOp<C>{kernel, slot(child)}};
      case kEtrack:
        return {leaf, EtrackOp<C>{kernel, slot(secs)}};
      case kEwb:
        return {leaf, EwbOp<C>{kernel, slot(any_valid), slot(va), below(int64_t(s_.sz.va_slots)),
                               below(int64_t(s_.sz.blobs))}};
      case kEldb:
      case kEldu: {
        const int64_t nblobs = int64_t(s_.blob.size());
        const int64_t b = pick(nblobs, [&](int64_t k) { return s_.blob[size_t(k)].valid; }) % nblobs;
        const Blob<C>& blob = s_.blob[size_t(b)];
        const int64_t p = chance(80) ? blob.page : any_page();
        int64_t v = slot(va), index = below(int64_t(s_.sz.va_slots));
        // Usually the VA slot that holds the blob's version, if one does.
        for (int64_t j = 0; j < slots(); ++j)
          for (int64_t k = 0; k < int64_t(s_.sz.va_slots); ++k)
            if (va(epcm(j)) && s_.data[size_t(j)].va[size_t(k)] == blob.version && chance(80)) {
              v = j;
              index = k;
            }
        const int64_t to = slot(free_slot);
        // The blob's enclave, or no SECS at all for a SECS or VA page.
        const int64_t s = is_child_type(blob.type) || !chance(85)
                              ? pick(slots(), [&](int64_t j) {
                                  return secs(epcm(j)) && s_.data[size_t(j)].eid == blob.eid;
                                })
                              : null_slot(s_);
        return {leaf, EldOp<C>{kernel, to, v, index, b, p, s, leaf == kEldb || chance(95)}};
      }
      case kEremove:
        return {leaf, PageOp<C>{kernel, slot(any_valid)}};
      case kEaug:
        return {leaf, EaugOp<C>{kernel, slot(free_slot), slot(secs), any_page()}};
      case kEmodpr: {
        // Usually a page some CPU's TLB holds writable, else any REG page.
        const int64_t cached = slot([&](const Epcm& e) { return reg(e) && cached_writable(e); });
        const int64_t target = cached < slots() && chance(70) ? cached : slot(reg);
        return {leaf, ModifyOp<C>{kernel, target, secinfo()}};
      }
      case kEmodt:
        return {leaf, ModifyOp<C>{kernel, slot(child), secinfo()}};
      case kEaccept: {
        const int64_t p = mapped(changed);
        return {leaf, AcceptOp<C>{thread, mapped(data), p, matching(p)}};
      }
      case kEacceptcopy: {
        SecInfo<C> info = secinfo();
        info.type = chance(80) ? pt::kReg : info.type;
        return {leaf, AcceptCopyOp<C>{thread, mapped(data), mapped(pending), mapped(data), info}};
      }
      case kEmodpe:
        return {leaf, AcceptOp<C>{thread, mapped(data), mapped(data), secinfo()}};
      case kEenter:
      case kEresume:
        return {leaf, EnterOp<C>{kernel, mapped(tcs)}};
      case kEexit:
      case kAex:
        return {leaf, CpuOp<C>{thread}};
      case kIpi:
        return {leaf, CpuOp<C>{below(int64_t(s_.sz.cpus))}};
      case kLoad:
      case kStore:
      case kFetch:
        return {leaf, AccessOp<C>{thread, mapped(data)}};
      case kStoreTcs:
        return {leaf, StoreTcsOp<C>{thread, mapped(data), 0, 1 + below(2), small()}};
      case kPteSet: {
        // Usually an enclave page that its own address does not map yet.
        const int64_t j = pick(slots(), [&](int64_t k) {
          const Epcm& e = epcm(k);
          const Pte<C>& p = s_.pte[size_t(e.page % pages())];
          return child(e) && !(p.present && p.slot == k);
        });
        const int64_t l = j < slots() && chance(80) ? epcm(j).page : any_page();
        return {leaf, PteSetOp<C>{l % pages(), j, chance(70), chance(40)}};
      }
      case kPteClear:
      case kLeafCount:
        break;
    }
    return {kPteClear, PteClearOp<C>{any_page() % pages()}};
  }

  R& r_;
  const arch::State<C>& s_;
  PickerLimits limits_;
};

}  // namespace sgxref::model::test
