// Random transitions through the concrete model, with operands biased towards ones that
// can succeed (a free slot for ECREATE, a TCS page for EENTER, ...) but sometimes
// anything, out-of-range slots and pages included (cpu, va_index and blob stay in range,
// as arch.h requires). The OS side keeps Linux's discipline: every
// PTE change is followed by IPIs to all CPUs.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "model/world.h"

namespace sgxref::model::test {

inline constexpr const char* kLeafNames[] = {
    "ECREATE", "EADD",        "EEXTEND", "EINIT",   "EPA",       "EBLOCK",  "ETRACK",
    "EWB",     "ELDB",        "ELDU",    "EREMOVE", "EAUG",      "EMODPR",  "EMODT",
    "EACCEPT", "EACCEPTCOPY", "EMODPE",  "EENTER",  "ERESUME",   "EEXIT",   "AEX",
    "IPI",     "load",        "store",   "fetch",   "store_tcs", "pte_set", "pte_clear"};
inline constexpr int kLeafCount = int(sizeof(kLeafNames) / sizeof(kLeafNames[0]));

class RandomWalk {
 public:
  explicit RandomWalk(uint64_t seed) : rng_(seed) {}

  // Applies one random transition to w; returns its index in kLeafNames and its outcome.
  // While a CPU is inside an enclave, most steps are its own (EACCEPT, accesses...);
  // while none is, entries are frequent. Exits are rarer than the other leaves.
  std::pair<int, Out> step(World& w) {
    static constexpr int kEnclaveSide[] = {14, 15, 16, 19, 22, 23, 24, 25};
    bool inside = false;
    for (const Cpu<C>& c : w.s.cpu) inside = inside || c.mode;
    int leaf = int(below(kLeafCount));
    if (inside && chance(60)) {
      leaf = kEnclaveSide[below(8)];
    } else if (!inside && chance(30)) {
      leaf = chance(70) ? 17 : 18;
    } else if ((leaf == 20 || leaf == 21 || leaf == 27) && chance(60)) {
      leaf = int(below(kLeafCount));
    }
    return {leaf, apply(w, leaf)};
  }

 private:
  int64_t below(int64_t n) { return int64_t(rng_() % uint64_t(n)); }
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

  // A linear page whose PTE maps an EPC slot with an EPCM entry satisfying `want`.
  int64_t mapped(const World& w, auto&& want) {
    return page(w, [&](int64_t l) {
      const Pte<C>& p = w.s.pte[size_t(l)];
      return p.present && p.slot < int64_t(w.s.sz.slots) && want(w.epcm(p.slot));
    });
  }

  int64_t slot(const World& w, auto&& want) {
    return pick(int64_t(w.s.sz.slots), [&](int64_t j) { return want(w.epcm(j)); });
  }
  int64_t page(const World& w, auto&& want) { return pick(int64_t(w.s.sz.pages), want); }
  int64_t cpu(const World& w, bool in_enclave) {
    const int64_t c =
        pick(int64_t(w.s.sz.cpus), [&](int64_t i) { return w.cpu(i).mode == in_enclave; });
    return c % int64_t(w.s.sz.cpus);
  }

  SecInfo<C> secinfo() {
    const int64_t roll = below(100);
    const int64_t type = roll < 50   ? pt::kReg
                         : roll < 70 ? pt::kTcs
                         : roll < 85 ? pt::kTrim
                                     : below(6);
    return {chance(3),  type,       chance(80), chance(50),
            chance(30), chance(30), chance(30), chance(30)};
  }

  // What EACCEPT would need to confirm the page as it is, usually.
  SecInfo<C> matching(const World& w, int64_t page) {
    const Pte<C>& p = w.s.pte[size_t(page % int64_t(w.s.sz.pages))];
    if (!p.present || p.slot >= int64_t(w.s.sz.slots) || !chance(70)) return secinfo();
    const Epcm<C>& e = w.epcm(p.slot);
    return {false, e.type,    e.r,        e.w,
            e.x,   e.pending, e.modified, e.pending || e.modified ? e.pr : true};
  }

  int64_t small() { return chance(80) ? below(3) : below(8); }
  int64_t code() {
    return chance(85) ? 0 : (chance(50) ? sgx::kInvalidSignature : sgx::kInvalidMeasurement);
  }

  Out apply(World& w, int leaf) {
    const auto free_slot = [](const Epcm<C>& e) { return !e.valid; };
    const auto secs = [](const Epcm<C>& e) { return e.valid && e.type == pt::kSecs; };
    const auto child = [](const Epcm<C>& e) { return e.valid && is_child_type(e.type); };
    const auto va = [](const Epcm<C>& e) { return e.valid && e.type == pt::kVa; };
    const auto reg = [](const Epcm<C>& e) { return e.valid && e.type == pt::kReg; };
    const auto any_valid = [](const Epcm<C>& e) { return e.valid; };
    const auto any_page = [](int64_t) { return true; };
    const auto tcs = [](const Epcm<C>& e) { return e.valid && e.type == pt::kTcs; };
    // Pages enclave code can use as data, and pages with a change to accept.
    const auto data = [](const Epcm<C>& e) {
      return e.valid && e.type == pt::kReg && !e.pending && !e.modified && !e.blocked && e.r;
    };
    const auto changed = [](const Epcm<C>& e) {
      return e.valid && (e.pending || e.modified || e.pr);
    };
    const auto pending = [](const Epcm<C>& e) { return e.valid && e.pending; };
    const int64_t kernel = cpu(w, false);
    const int64_t thread = cpu(w, true);
    switch (leaf) {
      case 0: {
        const int64_t size = chance(50) ? 2 : 4;
        return w.ecreate(slot(w, free_slot), size == 2 ? 2 * below(2) : 0, size, kernel);
      }
      case 1: {
        const int64_t s = slot(w, secs);
        return w.eadd(slot(w, free_slot), s, page(w, any_page), secinfo(), 1 + below(2), small(),
                      kernel);
      }
      case 2:
        return w.eextend(slot(w, secs), slot(w, child), kernel);
      case 3:
        return w.einit(slot(w, secs), code(), code(), kernel);
      case 4:
        return w.epa(slot(w, free_slot), kernel);
      case 5:
        return w.eblock(slot(w, child), kernel);
      case 6:
        return w.etrack(slot(w, secs), kernel);
      case 7:
        return w.ewb(slot(w, any_valid), slot(w, va), below(int64_t(w.s.sz.va_slots)),
                     below(int64_t(w.s.sz.blobs)), kernel);
      case 8:
      case 9: {
        const int64_t b =
            pick(int64_t(w.s.blob.size()), [&](int64_t k) { return w.s.blob[size_t(k)].valid; }) %
            int64_t(w.s.blob.size());
        const Blob<C>& blob = w.s.blob[size_t(b)];
        const int64_t p = chance(80) ? blob.page : page(w, any_page);
        int64_t v = slot(w, va), index = below(int64_t(w.s.sz.va_slots));
        // Usually the VA slot that holds the blob's version, if one does.
        for (int64_t j = 0; j < int64_t(w.s.sz.slots); ++j)
          for (int64_t k = 0; k < int64_t(w.s.sz.va_slots); ++k)
            if (va(w.epcm(j)) && w.data(j).va[size_t(k)] == blob.version && chance(80)) {
              v = j;
              index = k;
            }
        const int64_t to = slot(w, free_slot);
        const int64_t s = pick(int64_t(w.s.sz.slots), [&](int64_t j) {
          return secs(w.epcm(j)) && w.data(j).eid == blob.eid;
        });
        return leaf == 8 ? w.eldb(to, v, index, b, p, s, kernel)
                         : w.eldu(to, v, index, b, p, s, chance(95), kernel);
      }
      case 10:
        return w.eremove(slot(w, any_valid), kernel);
      case 11:
        return w.eaug(slot(w, free_slot), slot(w, secs), page(w, any_page), kernel);
      case 12:
        return w.emodpr(slot(w, reg), secinfo(), kernel);
      case 13:
        return w.emodt(slot(w, child), secinfo(), kernel);
      case 14: {
        const int64_t p = mapped(w, changed);
        return w.eaccept(thread, mapped(w, data), p, matching(w, p));
      }
      case 15: {
        SecInfo<C> info = secinfo();
        info.type = chance(80) ? pt::kReg : info.type;
        return w.eacceptcopy(thread, mapped(w, data), mapped(w, pending), mapped(w, data), info);
      }
      case 16:
        return w.emodpe(thread, mapped(w, data), mapped(w, data), secinfo());
      case 17:
        return w.eenter(kernel, mapped(w, tcs));
      case 18:
        return w.eresume(kernel, mapped(w, tcs));
      case 19:
        return w.eexit(thread);
      case 20:
        return w.aex(thread);
      case 21:
        return w.ipi(below(int64_t(w.s.sz.cpus)));
      case 22:
        return w.load(thread, mapped(w, data));
      case 23:
        return w.store(thread, mapped(w, data));
      case 24:
        return w.fetch(thread, mapped(w, data));
      case 25:
        return w.store_tcs(thread, mapped(w, data), 0, 1 + below(2), small());
      case 26: {
        // Usually an enclave page that its own address does not map yet.
        const int64_t j = pick(int64_t(w.s.sz.slots), [&](int64_t k) {
          const Epcm<C>& e = w.epcm(k);
          const Pte<C>& p = w.s.pte[size_t(e.page % int64_t(w.s.sz.pages))];
          return child(e) && !(p.present && p.slot == k);
        });
        const bool in_epc = j < int64_t(w.s.sz.slots);
        const int64_t l = in_epc && chance(80) ? w.epcm(j).page : page(w, any_page);
        return with_ipis(w, w.map(l % int64_t(w.s.sz.pages), j, chance(70), chance(40)));
      }
      default:
        return with_ipis(w, w.unmap(page(w, any_page) % int64_t(w.s.sz.pages)));
    }
  }

  static Out with_ipis(World& w, const Out& out) {
    for (int64_t c = 0; c < int64_t(w.s.sz.cpus); ++c) w.ipi(c);
    return out;
  }

  std::mt19937_64 rng_;
};

}  // namespace sgxref::model::test
