// File: the questions and effects several leaves share: page-type classes, who is
// inside an enclave, ELRANGE membership, how an ENCLU leaf resolves a linear-address
// operand, and AEX (which every fault raised in enclave mode goes through).
#pragma once

#include <cstdint>

#include "arch/outcome.h"
#include "arch/state.h"
#include "arch/types.h"
#include "domain/domain.h"

namespace sgxref::model::arch {

// Pages that belong to an enclave and hold its contents (SDM: the types EBLOCK, EWB's
// tracking checks and EREMOVE's ENCLAVE_ACT check apply to).
template <class I>
auto is_child_type(const I& type) {
  return type == pt::kReg || type == pt::kTcs || type == pt::kTrim;
}

template <Domain D>
typename D::Bool in_epc(const State<D>& s, const typename D::Int& slot) {
  return slot < int64_t(s.sz.slots);
}

// The slot value that stands for physical address 0 (a null PAGEINFO.SECS): the first
// value outside the EPC.
template <class D>
int64_t null_slot(const State<D>& s) {
  return int64_t(s.sz.slots);
}

template <Domain D>
typename D::Bool cpu_mode(const D& d, const State<D>& s, const typename D::Int& cpu) {
  return at(d, s.cpu, cpu, &Cpu<D>::mode);
}

// Whether a CPU is in enclave mode, and the SECS slot of the enclave it runs.
template <class D>
struct Running {
  typename D::Bool mode;
  typename D::Int secs;
};

template <Domain D>
Running<D> running(const D& d, const State<D>& s, const typename D::Int& cpu) {
  return {at(d, s.cpu, cpu, &Cpu<D>::mode), at(d, s.cpu, cpu, &Cpu<D>::secs)};
}

// CPU c is executing in the enclave whose SECS is in slot `secs`.
template <class D>
typename D::Bool inside(const Cpu<D>& c, const typename D::Int& secs) {
  return c.mode && c.secs == secs;
}

template <Domain D>
typename D::Bool anyone_inside(const D& d, const State<D>& s, const typename D::Int& secs) {
  return any_index(d, s.cpu.size(), [&](int64_t i) { return inside(s.cpu[size_t(i)], secs); });
}

// A valid enclave page of the enclave whose SECS is in slot `secs`.
template <class D>
typename D::Bool is_child_of(const Epcm<D>& e, const typename D::Int& secs) {
  return e.valid && is_child_type(e.type) && e.secs == secs;
}

template <Domain D>
typename D::Bool has_child(const D& d, const State<D>& s, const typename D::Int& secs) {
  return any_index(d, s.epcm.size(),
                   [&](int64_t j) { return is_child_of(s.epcm[size_t(j)], secs); });
}

// base <= page < base + size for the ELRANGE of the SECS in slot `secs`. (page - base
// only matters when base <= page, so it never leaves the domain's range where it counts.)
template <Domain D>
typename D::Bool in_elrange(const D& d, const State<D>& s, const typename D::Int& secs,
                            const typename D::Int& page) {
  const typename D::Int base = at(d, s.data, secs, &PageData<D>::base);
  const typename D::Int size = at(d, s.data, secs, &PageData<D>::size);
  return base <= page && page - base < size;
}

template <Domain D>
void flush_tlb_if(const D& d, Cpu<D>& c, const typename D::Bool& when) {
  for (TlbEntry<D>& t : c.tlb) t.valid = ite(when, d.lit(false), t.valid);
}

// AEX on `cpu` if `when` holds and the CPU is in enclave mode (docs/model.md "AEX and
// IPIs"): state goes to SSA frame CSSA of the current TCS and CSSA += 1, the TCS becomes
// inactive, the CPU leaves enclave mode (and stops counting as inside for tracking), its
// TLB is flushed.
template <Domain D>
void aex_if(const D& d, State<D>& s, const typename D::Int& cpu, const typename D::Bool& when) {
  for (size_t i = 0; i < s.cpu.size(); ++i) {
    Cpu<D>& c = s.cpu[i];
    const typename D::Bool go = when && cpu == int64_t(i) && c.mode;
    const typename D::Int cssa = at(d, s.data, c.tcs, &PageData<D>::cssa);
    put(d, s.data, c.tcs, go, &PageData<D>::cssa, inc_sat(cssa, kMaxSsa));
    put(d, s.data, c.tcs, go, &PageData<D>::active, d.lit(false));
    c.mode = ite(go, d.lit(false), c.mode);
    flush_tlb_if(d, c, go);
  }
}

// Returns a leaf's outcome after delivering it: an exception (#GP, #PF, #UD) raised on a
// CPU in enclave mode causes an AEX there.
template <Domain D>
Outcome<D> deliver(const D& d, State<D>& s, const typename D::Int& cpu, const Outcome<D>& out) {
  aex_if(d, s, cpu, faulted(out));
  return out;
}

// #PF error codes for ENCLS operands: 0 for an address outside the EPC, P|SGX when an EPCM
// check on an EPC operand fails.
inline constexpr int64_t kNonEpcPfec = 0;
inline constexpr int64_t kEnclsEpcmPfec = pfec::kP | pfec::kSgx;

// #PF error code for an ENCLU operand or enclave access that fails an EPCM check.
inline int64_t epcm_pfec(bool write) {
  return pfec::kP | pfec::kU | pfec::kSgx | (write ? pfec::kW : 0);
}

// The PTE of linear page `page` in the address space CPU `cpu` runs in.
template <Domain D>
Pte<D> pte_of(const D& d, const State<D>& s, const typename D::Int& cpu,
              const typename D::Int& page) {
  return at(d, at(d, s.pte, at(d, s.cpu, cpu, &Cpu<D>::space)), page);
}

// An ENCLU leaf reaches its linear-address operand `page` through the OS page table
// (the TLB serves only loads, stores and fetches: docs/model.md "Accesses"). Adds the
// "does not resolve within an EPC" checks to `c` and returns the EPC slot the PTE names.
template <Domain D>
typename D::Int resolve(const D& d, const State<D>& s, Checks<D>& c, const typename D::Int& cpu,
                        const typename D::Int& page, bool write) {
  const Pte<D> p = pte_of(d, s, cpu, page);
  const int64_t w = write ? pfec::kW : 0;
  c.pf_if(!(page < int64_t(s.sz.pages) && p.present), page, pfec::kU | w);
  if (write) c.pf_if(!p.w, page, pfec::kP | pfec::kU | pfec::kW);
  c.pf_if(!in_epc(s, p.slot), page, epcm_pfec(write));
  return p.slot;
}

// A TCS's reserved bytes, which must be zero in a TCS EADD adds or EACCEPT accepts, hold
// the words of contents of the page it was before.
template <Domain D>
typename D::Bool tcs_reserved_clear(const D& d, const PageData<D>& p) {
  return all_index(d, p.words.size(), [&](int64_t w) { return p.words[size_t(w)] == 0; });
}

// The EPCM checks ENCLU leaves make on a page they use as data (a SECINFO, a copy source,
// an SSA frame): a valid, unblocked, accepted, readable REG page of this enclave at this
// address, and writable when written.
template <class D>
typename D::Bool is_data_page(const Epcm<D>& e, const typename D::Int& secs,
                              const typename D::Int& page, bool write) {
  const typename D::Bool ok = e.valid && !e.blocked && !e.pending && !e.modified &&
                              e.type == pt::kReg && e.secs == secs && e.page == page && e.r;
  return write ? ok && e.w : ok;
}

}  // namespace sgxref::model::arch
