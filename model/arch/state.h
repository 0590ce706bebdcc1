// File: the architectural state the model keeps, for small parameterised sizes: per EPC
// slot the EPCM entry, its tracking stamp and the page bytes the architecture reads
// (plus a few words of contents); per logical CPU enclave mode, entry epoch, address
// space, TLB and the leaf it has in flight; the OS page tables; and the blobs EWB writes
// to untrusted memory. Every field is a domain value (Bool or Int).
#pragma once

#include <cstddef>
#include <vector>

#include "domain/domain.h"

namespace sgxref::model::arch {

struct Sizes {
  size_t slots = 4;     // EPC pages
  size_t cpus = 2;      // logical processors
  size_t pages = 4;     // linear pages of an address space
  size_t va_slots = 2;  // version slots per VA page (the SDM has 512)
  size_t blobs = 4;     // places in untrusted memory that hold evicted pages
  size_t spaces = 1;    // address spaces (OS page tables) CPUs may run in
  size_t words = 2;     // words of contents per page that loads and stores reach

  bool operator==(const Sizes&) const = default;
};

// The bits each kind of Int needs (docs/model.md "Sizes and widths"). Operands take the
// same widths, so a solver's free operand can name every value the picker can, and
// nothing more.
struct Widths {
  unsigned slot;      // EPC slots, null (= slots) and one address outside the EPC
  unsigned page;      // linear pages, ELRANGE bases and sizes (up to twice the space)
  unsigned cpu, space, blob, va_index, word_index;
  unsigned eid;       // enclave ids: fewer live at once than SECS slots and blobs can hold
  unsigned version;   // VA versions: fewer live at once than places that hold one
};

inline unsigned bits_for(size_t v) {
  unsigned n = 1;
  while (n < 63 && (v >> n) != 0) ++n;
  return n;
}

// How many distinct enclave ids and versions can be live at once, so the smallest unused
// one (fresh.h) is never beyond these.
inline size_t eid_places(const Sizes& sz) { return sz.slots + 2 * sz.blobs; }
inline size_t version_places(const Sizes& sz) {
  return (sz.slots + sz.blobs) * sz.va_slots + sz.blobs + sz.cpus;
}

inline constexpr unsigned kTypeBits = 3;
inline constexpr unsigned kAgeBits = 2;
inline constexpr unsigned kLeafBits = 5;
inline constexpr unsigned kWordBits = 4;     // a word of contents: 0 .. 15
inline constexpr int64_t kNoData = 15;       // what a load reads where there is no page: all ones
inline constexpr unsigned kSsaBits = 3;      // CSSA, NSSA, OSSA: 0 .. 7
inline constexpr int64_t kMaxSsa = 7;
inline constexpr unsigned kCountBits = 8;    // measured events: saturate at 255
inline constexpr int64_t kMaxCount = 255;

inline Widths widths(const Sizes& sz) {
  return {bits_for(sz.slots + 1),
          bits_for(2 * sz.pages),
          bits_for(sz.cpus - 1),
          bits_for(sz.spaces - 1),
          bits_for(sz.blobs - 1),
          bits_for(sz.va_slots - 1),
          bits_for(sz.words - 1),
          bits_for(eid_places(sz) + 1),
          bits_for(version_places(sz) + 1)};
}

// One EPCM entry (SDM "Content of an Enclave Page Cache Map Entry").
template <class D>
struct Epcm {
  typename D::Bool valid;
  typename D::Int type;  // pt::
  typename D::Bool r, w, x, blocked, pending, modified, pr;
  typename D::Int secs;  // ENCLAVESECS, as the EPC slot of the owning SECS (0 for SECS, VA)
  typename D::Int page;  // ENCLAVEADDRESS, as a linear page (0 for SECS, VA)
  // The tracking stamp (docs/model.md "Tracking"), not an SDM field. The epoch it
  // recorded is kept as its age: how many ETRACKs of the enclave have happened since,
  // saturating at 2.
  typename D::Bool stamped;
  typename D::Int stamp_age;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("valid", s.valid...);
    f("type", s.type...);
    f("r", s.r...);
    f("w", s.w...);
    f("x", s.x...);
    f("blocked", s.blocked...);
    f("pending", s.pending...);
    f("modified", s.modified...);
    f("pr", s.pr...);
    f("secs", s.secs...);
    f("page", s.page...);
    f("stamped", s.stamped...);
    f("stamp_age", s.stamp_age...);
  }
};

// The bytes of an EPC page that the architecture reads, by page type, and a few words of
// contents that enclave code reads and writes. Everything else (code, the rest of the
// data, the MRENCLAVE hash) is not modelled: measurement is its history in the abstract.
template <class D>
struct PageData {
  // SECS: INIT attribute, EID, ELRANGE in linear pages, and what has been measured: how
  // many events (ECREATE, each EADD, each EEXTEND) and the page of the last one.
  typename D::Bool init;
  typename D::Int eid, base, size, mr_count, mr_page;
  // TCS: STATE (true = active), CSSA, NSSA, and OSSA as a page offset from the base.
  // An SSA frame is one page (SSAFRAMESIZE = 1).
  typename D::Bool active;
  typename D::Int cssa, nssa, ossa;
  // VA: the version slots; 0 is empty.
  std::vector<typename D::Int> va;
  // REG, TCS, TRIM: contents, one abstract value per word.
  std::vector<typename D::Int> words;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("init", s.init...);
    f("eid", s.eid...);
    f("base", s.base...);
    f("size", s.size...);
    f("mr_count", s.mr_count...);
    f("mr_page", s.mr_page...);
    f("active", s.active...);
    f("cssa", s.cssa...);
    f("nssa", s.nssa...);
    f("ossa", s.ossa...);
    f("va", s.va...);
    f("words", s.words...);
  }
};

template <class D>
struct TlbEntry {
  typename D::Bool valid;
  typename D::Int slot;
  typename D::Bool r, w, x;  // EPCM rights intersected with PTE rights at fill time

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("valid", s.valid...);
    f("slot", s.slot...);
    f("r", s.r...);
    f("w", s.w...);
    f("x", s.x...);
  }
};

// A leaf between its two phases (docs/model.md "Leaves in flight"): it has made the
// checks that come before its scheduling point and holds its locks; its second phase
// makes the rest and commits. Which pages it holds, and how, follows from `leaf` and the
// pages named here (flight.h).
template <class D>
struct Flight {
  typename D::Int leaf;      // flight::k*, kNone when the CPU has no leaf in flight
  typename D::Int slot;      // its target page (for ENCLU leaves, the page it resolved to)
  typename D::Int secs;      // the SECS it holds besides (null when none)
  typename D::Int va, va_index;  // the VA page and slot it holds (EWB, ELDx)
  typename D::Int src;       // EACCEPTCOPY's source page, as resolved
  typename D::Int version;   // EWB: the version taken for the blob

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("leaf", s.leaf...);
    f("slot", s.slot...);
    f("secs", s.secs...);
    f("va", s.va...);
    f("va_index", s.va_index...);
    f("src", s.src...);
    f("version", s.version...);
  }
};

template <class D>
struct Cpu {
  typename D::Bool mode;         // CR_ENCLAVE_MODE: inside an enclave, for tracking too
  typename D::Int secs;          // CR_ACTIVE_SECS, as an EPC slot
  typename D::Int tcs;           // CR_TCS_PA, as an EPC slot
  typename D::Int entry_age;     // ETRACKs of the enclave since this CPU entered (<= 2)
  typename D::Int space;         // the address space CR3 names
  std::vector<TlbEntry<D>> tlb;  // by linear page
  Flight<D> flight;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("mode", s.mode...);
    f("secs", s.secs...);
    f("tcs", s.tcs...);
    f("entry_age", s.entry_age...);
    f("space", s.space...);
    f("tlb", s.tlb...);
    f("flight", s.flight...);
  }
};

// One OS page-table entry. A slot at or beyond Sizes::slots maps memory outside the EPC.
template <class D>
struct Pte {
  typename D::Bool present;
  typename D::Int slot;
  typename D::Bool w, x;  // R is implied by present

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("present", s.present...);
    f("slot", s.slot...);
    f("w", s.w...);
    f("x", s.x...);
  }
};

// What EWB wrote to untrusted memory: what its MAC binds (the version, the EID, the
// linear address, the SECINFO flags and the page bytes). Crypto is outside the model:
// ELDU's MAC matches exactly when what it is handed and rebuilds equals this, field by
// field (reclaim.h).
template <class D>
struct Blob {
  typename D::Bool valid;
  typename D::Int version, eid, page, type;
  typename D::Bool r, w, x, pending, modified, pr;
  PageData<D> data;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("valid", s.valid...);
    f("version", s.version...);
    f("eid", s.eid...);
    f("page", s.page...);
    f("type", s.type...);
    f("r", s.r...);
    f("w", s.w...);
    f("x", s.x...);
    f("pending", s.pending...);
    f("modified", s.modified...);
    f("pr", s.pr...);
    f("data", s.data...);
  }
};

template <class D>
struct State {
  Sizes sz;
  std::vector<Epcm<D>> epcm;            // by EPC slot
  std::vector<PageData<D>> data;        // by EPC slot
  std::vector<Cpu<D>> cpu;
  std::vector<std::vector<Pte<D>>> pte;  // by address space, then linear page
  std::vector<Blob<D>> blob;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("epcm", s.epcm...);
    f("data", s.data...);
    f("cpu", s.cpu...);
    f("pte", s.pte...);
    f("blob", s.blob...);
  }
};

// A free EPCM entry, its fields at their declared widths.
template <Domain D>
Epcm<D> free_entry(const D& d, const Sizes& sz) {
  const Widths w = widths(sz);
  const auto f = d.lit(false);
  return {f, d.num(0, kTypeBits), f, f, f, f, f, f, f, d.num(0, w.slot), d.num(0, w.page),
          f, d.num(0, kAgeBits)};
}

// Zeroed page bytes.
template <Domain D>
PageData<D> blank_page(const D& d, const Sizes& sz) {
  const Widths w = widths(sz);
  const auto f = d.lit(false);
  const auto ssa = d.num(0, kSsaBits);
  return {f,
          d.num(0, w.eid),
          d.num(0, w.page),
          d.num(0, w.page),
          d.num(0, kCountBits),
          d.num(0, w.page),
          f,
          ssa,
          ssa,
          ssa,
          std::vector<typename D::Int>(sz.va_slots, d.num(0, w.version)),
          std::vector<typename D::Int>(sz.words, d.num(0, kWordBits))};
}

template <Domain D>
Flight<D> no_flight(const D& d, const Sizes& sz) {
  const Widths w = widths(sz);
  const auto slot = d.num(0, w.slot);
  return {d.num(0, kLeafBits), slot, slot, slot, d.num(0, w.va_index), slot,
          d.num(0, w.version)};
}

// Power-on: every EPC slot free, every CPU outside enclaves in address space 0 with an
// empty TLB and no leaf in flight, no PTEs, no blobs.
template <Domain D>
State<D> initial_state(const D& d, const Sizes& sz) {
  const Widths w = widths(sz);
  const auto f = d.lit(false);
  const auto slot = d.num(0, w.slot);
  State<D> s{sz, {}, {}, {}, {}, {}};
  s.epcm.assign(sz.slots, free_entry(d, sz));
  s.data.assign(sz.slots, blank_page(d, sz));
  const TlbEntry<D> no_entry{f, slot, f, f, f};
  s.cpu.assign(sz.cpus, Cpu<D>{f, slot, slot, d.num(0, kAgeBits), d.num(0, w.space),
                               std::vector<TlbEntry<D>>(sz.pages, no_entry),
                               no_flight(d, sz)});
  s.pte.assign(sz.spaces, std::vector<Pte<D>>(sz.pages, Pte<D>{f, slot, f, f}));
  s.blob.assign(sz.blobs, Blob<D>{f, d.num(0, w.version), d.num(0, w.eid), d.num(0, w.page),
                                  d.num(0, kTypeBits), f, f, f, f, f, f, blank_page(d, sz)});
  return s;
}

}  // namespace sgxref::model::arch
