// File: what the checker's flows run over: the architectural state (model/arch), what
// the driver knows of the enclave (its page records and the enclave mutex), each
// thread's own local state, and the ghost flags that record a broken promise the moment
// a step breaks it. Every field is a domain value with a declared width, so the same
// record runs concretely and symbolically (one fresh copy per step in the checker).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "arch/arch.h"

namespace sgxref::proofs::flows {

namespace arch = model::arch;
// The model's choice, in the concrete domain too (where its operands are plain values).
using model::ite;

// The ioctl's return value, as the small enum the flows need.
namespace ret {
inline constexpr int64_t kOk = 0;
inline constexpr int64_t kEinval = 1;
inline constexpr int64_t kEfault = 2;
inline constexpr int64_t kEagain = 3;
inline constexpr int64_t kEperm = 4;
inline constexpr unsigned kBits = 3;
}  // namespace ret

inline constexpr unsigned kPcBits = 5;  // up to 32 instructions per program

// The driver's record of one enclave page (struct sgx_encl_page): where it lives in the
// EPC and the type the driver believes it has, whether it has an EPC page at all, whether
// the reclaimer has it (isolated: off the LRU in the reclaimer's batch; reclaim: marked
// SGX_ENCL_PAGE_BEING_RECLAIMED) and, while it is evicted, the VA slot holding its
// version. Without a reclaimer (REMOVE_PAGES' flow) a page that is not resident is one
// REMOVE_PAGES erased from page_array. The driver never reads the EPCM.
template <class D>
struct PageRecord {
  typename D::Int slot, type;
  typename D::Bool resident, isolated, reclaim;
  typename D::Int va;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("slot", s.slot...);
    f("type", s.type...);
    f("resident", s.resident...);
    f("isolated", s.isolated...);
    f("reclaim", s.reclaim...);
    f("va", s.va...);
  }
};

// A Bool kept in a vector (std::vector<bool> hands out no references to walk).
template <class D>
struct Flag {
  typename D::Bool on;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("on", s.on...);
  }
};

template <class D>
struct Driver {
  typename D::Int mutex;  // encl->lock: 0 when free, else the holder's thread id + 1
  typename D::Int secs;   // the SECS's EPC slot while it is resident
  typename D::Bool secs_resident;
  typename D::Int secs_va;                 // its VA slot while evicted
  typename D::Int children;                // secs_child_cnt: resident child pages
  std::vector<PageRecord<D>> pages;        // by linear page
  std::vector<Flag<D>> free;      // by EPC slot: on the driver's free list
  std::vector<Flag<D>> va_used;   // by slot of the VA page

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("mutex", s.mutex...);
    f("secs", s.secs...);
    f("secs_resident", s.secs_resident...);
    f("secs_va", s.secs_va...);
    f("children", s.children...);
    f("pages", s.pages...);
    f("free", s.free...);
    f("va_used", s.va_used...);
  }
};

// A thread's own state. `pc` indexes its program (its length: the thread has ended);
// `index` is its loop's page, `count` and `rv` what an ioctl returns; `tail`: an ioctl is
// past its per-page loop; `after`: an enclave thread's last entry came after the ioctl
// it watches had returned; `fault` and `back`: the page an enclave thread's fault
// handler is loading and the instruction it returns to. `off_point`: its last step
// ended where the driver has no scheduling point (a load that found the page busy, a
// page the reclaimer's aging skipped), so its region goes on into the next step;
// `runs_on`: its next step comes before any other thread's, for that reason or because
// the last step only reached a lock's point with the lock free (every schedule has an
// equivalent one where a thread takes a free lock as soon as it reaches its point, the
// reaching changing nothing another thread sees).
template <class D>
struct Thread {
  typename D::Int pc, index, count, rv;
  typename D::Bool tail, after;
  typename D::Int fault, back;
  typename D::Bool off_point, runs_on;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("pc", s.pc...);
    f("index", s.index...);
    f("count", s.count...);
    f("rv", s.rv...);
    f("tail", s.tail...);
    f("after", s.after...);
    f("fault", s.fault...);
    f("back", s.back...);
    f("off_point", s.off_point...);
    f("runs_on", s.runs_on...);
  }
};

// Set by the step that breaks the property, and never cleared.
template <class D>
struct Ghost {
  typename D::Bool warn;      // D1: a leaf failed in a way Linux treats as a driver bug
  typename D::Bool contract;  // D3: `count` and the error disagree with the EPCM
  typename D::Bool promise;   // D4: a page the ioctl returned as done was not trackable

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("warn", s.warn...);
    f("contract", s.contract...);
    f("promise", s.promise...);
  }
};

template <class D>
struct World {
  arch::State<D> hw;
  // By linear page: the PTE's Accessed bit, which model/arch leaves out since no leaf
  // reads it. The walk of EACCEPT's target sets it; the reclaimer's aging reads and
  // clears it (sgx_reclaimer_age), and skips a page it finds set.
  std::vector<Flag<D>> accessed;
  Driver<D> drv;
  std::vector<Thread<D>> th;
  Ghost<D> ghost;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("hw", s.hw...);
    f("accessed", s.accessed...);
    f("drv", s.drv...);
    f("th", s.th...);
    f("ghost", s.ghost...);
  }
};

// Every flow field at its declared width, zero, over `hw`'s sizes; `threads` threads.
template <model::Domain D>
World<D> blank_world(const D& d, const arch::State<D>& hw, size_t threads) {
  const arch::Widths w = arch::widths(hw.sz);
  const unsigned counter = arch::bits_for(hw.sz.pages);
  const auto f = d.lit(false);
  const PageRecord<D> none{d.num(0, w.slot), d.num(0, arch::kTypeBits), f, f, f,
                           d.num(0, w.va_index)};
  const Thread<D> fresh{d.num(0, kPcBits), d.num(0, counter), d.num(0, counter),
                        d.num(0, ret::kBits), f, f, d.num(0, w.page), d.num(0, kPcBits), f, f};
  return {hw,
          std::vector<Flag<D>>(hw.sz.pages, Flag<D>{f}),
          {d.num(0, arch::bits_for(threads)), d.num(0, w.slot), f, d.num(0, w.va_index),
           d.num(0, counter), std::vector<PageRecord<D>>(hw.sz.pages, none),
           std::vector<Flag<D>>(hw.sz.slots, Flag<D>{f}),
           std::vector<Flag<D>>(hw.sz.va_slots, Flag<D>{f})},
          std::vector<Thread<D>>(threads, fresh),
          {f, f, f}};
}

}  // namespace sgxref::proofs::flows
