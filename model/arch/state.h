// File: the architectural state the model keeps, for small parameterised sizes: per EPC
// slot the EPCM entry, its tracking stamp and the page bytes the architecture reads;
// per logical CPU enclave mode, entry epoch and TLB; the OS page table; and the blobs
// EWB writes to untrusted memory. Every field is a domain value (Bool or Int).
#pragma once

#include <cstddef>
#include <vector>

#include "domain/domain.h"

namespace sgxref::model::arch {

struct Sizes {
  size_t slots = 4;     // EPC pages
  size_t cpus = 2;      // logical processors
  size_t pages = 4;     // linear pages of the one address space enclaves live in
  size_t va_slots = 2;  // version slots per VA page (the SDM has 512)
  size_t blobs = 4;     // places in untrusted memory that hold evicted pages
};

// One EPCM entry (SDM "Content of an Enclave Page Cache Map Entry").
template <class D>
struct Epcm {
  typename D::Bool valid;
  typename D::Int type;  // pt::
  typename D::Bool r, w, x, blocked, pending, modified, pr;
  typename D::Int secs;  // ENCLAVESECS, as the EPC slot of the owning SECS
  typename D::Int page;  // ENCLAVEADDRESS, as a linear page
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

// The bytes of an EPC page that the architecture itself reads, by page type. Other
// contents (code, data, MRENCLAVE) are not modelled.
template <class D>
struct PageData {
  // SECS: INIT attribute, EID, and ELRANGE in linear pages.
  typename D::Bool init;
  typename D::Int eid, base, size;
  // TCS: STATE (true = active), CSSA, NSSA, and OSSA as a page offset from the base.
  // An SSA frame is one page (SSAFRAMESIZE = 1).
  typename D::Bool active;
  typename D::Int cssa, nssa, ossa;
  // VA: the version slots; 0 is empty.
  std::vector<typename D::Int> va;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("init", s.init...);
    f("eid", s.eid...);
    f("base", s.base...);
    f("size", s.size...);
    f("active", s.active...);
    f("cssa", s.cssa...);
    f("nssa", s.nssa...);
    f("ossa", s.ossa...);
    f("va", s.va...);
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

template <class D>
struct Cpu {
  typename D::Bool mode;         // CR_ENCLAVE_MODE: inside an enclave, for tracking too
  typename D::Int secs;          // CR_ACTIVE_SECS, as an EPC slot
  typename D::Int tcs;           // CR_TCS_PA, as an EPC slot
  typename D::Int entry_age;     // ETRACKs of the enclave since this CPU entered (<= 2)
  std::vector<TlbEntry<D>> tlb;  // by linear page

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("mode", s.mode...);
    f("secs", s.secs...);
    f("tcs", s.tcs...);
    f("entry_age", s.entry_age...);
    f("tlb", s.tlb...);
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

// What EWB wrote to untrusted memory: the MAC header fields (version, EID, linear
// address, SECINFO) and the page bytes. Crypto is outside the model: ELDU's MAC matches
// exactly when the header it rebuilds equals this one and the blob was not altered.
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
  std::vector<Epcm<D>> epcm;      // by EPC slot
  std::vector<PageData<D>> data;  // by EPC slot
  std::vector<Cpu<D>> cpu;
  std::vector<Pte<D>> pte;  // by linear page
  std::vector<Blob<D>> blob;
  typename D::Int next_eid;      // CR_NEXT_EID
  typename D::Int next_version;  // the source of fresh VA versions (never 0)
  // A leaf in flight on another CPU: EBLOCK of `held_slot`, which holds the page Shared
  // between taking its lock and checking the page (SDM 41.1.5). Leaves that need the
  // page Exclusive meanwhile are refused (conformance "overlap" steps).
  typename D::Bool held;
  typename D::Int held_slot;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("epcm", s.epcm...);
    f("data", s.data...);
    f("cpu", s.cpu...);
    f("pte", s.pte...);
    f("blob", s.blob...);
    f("next_eid", s.next_eid...);
    f("next_version", s.next_version...);
    f("held", s.held...);
    f("held_slot", s.held_slot...);
  }
};

// A free EPCM entry.
template <Domain D>
Epcm<D> free_entry(const D& d) {
  const auto f = d.lit(false);
  const auto z = d.num(0);
  return {f, z, f, f, f, f, f, f, f, z, z, f, z};
}

// Zeroed page bytes.
template <Domain D>
PageData<D> blank_page(const D& d, const Sizes& sz) {
  const auto f = d.lit(false);
  const auto z = d.num(0);
  return {f, z, z, z, f, z, z, z, std::vector<typename D::Int>(sz.va_slots, z)};
}

// Power-on: every EPC slot free, every CPU outside enclaves with an empty TLB, no PTEs,
// no blobs.
template <Domain D>
State<D> initial_state(const D& d, const Sizes& sz) {
  const auto f = d.lit(false);
  const auto z = d.num(0);
  State<D> s{sz, {}, {}, {}, {}, {}, d.num(1), d.num(1), f, z};
  s.epcm.assign(sz.slots, free_entry(d));
  s.data.assign(sz.slots, blank_page(d, sz));
  s.cpu.assign(sz.cpus, Cpu<D>{f, z, z, z, std::vector<TlbEntry<D>>(sz.pages, {f, z, f, f, f})});
  s.pte.assign(sz.pages, Pte<D>{f, z, f, f});
  s.blob.assign(sz.blobs, Blob<D>{f, z, z, z, z, f, f, f, f, f, f, blank_page(d, sz)});
  return s;
}

}  // namespace sgxref::model::arch
