// A concrete model state with one call per transition, for hand-written scenarios.
#pragma once

#include <cstdint>

#include "arch/arch.h"
#include "domain/concrete.h"
#include "model/leaves.h"
#include "model/op.h"

namespace sgxref::model::test {

using namespace arch;  // scenarios read better with the model's names bare
using Out = Outcome<C>;

inline Out Ok() { return {kind::kOk, 0, 0, 0, 0}; }
// A load or fetch that read `v`, an EREPORT keyed for the enclave in SECS slot `v`.
inline Out Value(int64_t v) { return {kind::kOk, 0, 0, 0, v}; }
inline Out Code(int64_t c) { return {kind::kCode, c, 0, 0, 0}; }
inline Out Gp() { return {kind::kGp, 0, 0, 0, 0}; }
inline Out Ud() { return {kind::kUd, 0, 0, 0, 0}; }
inline Out Pf(int64_t addr, int64_t error_code) { return {kind::kPf, 0, error_code, addr, 0}; }

inline SecInfo<C> si(int64_t type, bool r = false, bool w = false, bool x = false,
                     bool pending = false, bool modified = false, bool pr = false) {
  return {false, type, r, w, x, pending, modified, pr};
}

// The layout every scenario starts from (Sizes below): one enclave in address space 0,
// ELRANGE pages 0-3; its REG pages' words hold the value EADD copied (2, 3).
//   slot 0  SECS
//   slot 1  TCS  at page 0, NSSA 2, OSSA 1: SSA frames at pages 1 and 2
//   slot 2  REG  at page 1, RW (SSA frame 0; also used as a SECINFO page)
//   slot 3  REG  at page 2, RWX (SSA frame 1, and the page the scenarios evict or change)
//   slot 4  VA
//   page 3, slots 5-9 and address space 1 are free.
namespace layout {
inline constexpr int64_t kSecs = 0, kTcs = 1, kSsa = 2, kData = 3, kVa = 4;
inline constexpr int64_t kTcsPage = 0, kSsaPage = 1, kDataPage = 2, kFreePage = 3;
inline constexpr int64_t kDataWord = 3;  // the words of kData
inline constexpr int64_t kOutside = 11;  // a slot value outside the EPC (10 is null)
}  // namespace layout

inline Sizes scenario_sizes() { return Sizes{10, 2, 4, 2, 4, 2, 2}; }

struct World {
  C d{};
  State<C> s;

  explicit World(const Sizes& sz = scenario_sizes()) : s(initial_state(d, sz)) {}

  // ENCLS, executed on CPU `cpu` (default: 1, which scenarios keep for the kernel).
  Out ecreate(int64_t slot, int64_t base, int64_t size, int64_t cpu = 1) {
    return arch::ecreate(d, s, EcreateOp<C>{cpu, slot, si(pt::kSecs), base, size, true});
  }
  Out eadd(int64_t slot, int64_t secs, int64_t page, SecInfo<C> info, int64_t nssa = 0,
           int64_t ossa = 0, int64_t content = 0, int64_t cpu = 1) {
    return arch::eadd(d, s, EaddOp<C>{cpu, slot, secs, page, info, nssa, ossa, content});
  }
  Out eextend(int64_t secs, int64_t slot, int64_t cpu = 1) {
    return arch::eextend(d, s, EextendOp<C>{cpu, secs, slot});
  }
  // EINIT with a SIGSTRUCT that claims what the SECS has measured.
  Out einit(int64_t secs, int64_t sig_code = 0, int64_t launch_code = 0, int64_t cpu = 1) {
    const PageData<C> p = secs >= 0 && secs < int64_t(s.sz.slots) ? s.data[size_t(secs)]
                                                                   : blank_page(d, s.sz);
    return einit_claiming(secs, p.mr_count, p.mr_page, sig_code, launch_code, cpu);
  }
  Out einit_claiming(int64_t secs, int64_t mr_count, int64_t mr_page, int64_t sig_code = 0,
                     int64_t launch_code = 0, int64_t cpu = 1) {
    return arch::einit(d, s, EinitOp<C>{cpu, secs, sig_code, mr_count, mr_page, launch_code});
  }
  Out epa(int64_t slot, int64_t cpu = 1) { return arch::epa(d, s, PageOp<C>{cpu, slot}); }
  Out eblock(int64_t slot, int64_t cpu = 1) { return arch::eblock(d, s, PageOp<C>{cpu, slot}); }
  Out eremove(int64_t slot, int64_t cpu = 1) { return arch::eremove(d, s, PageOp<C>{cpu, slot}); }
  Out etrack(int64_t secs, int64_t cpu = 1) { return arch::etrack(d, s, EtrackOp<C>{cpu, secs}); }
  Out ewb(int64_t slot, int64_t va, int64_t va_index, int64_t blob, int64_t cpu = 1) {
    return arch::ewb(d, s, EwbOp<C>{cpu, slot, va, va_index, blob});
  }
  // ELDU and ELDB handed the blob's own PCMD, as EWB wrote it.
  Out eldu(int64_t slot, int64_t va, int64_t va_index, int64_t blob, int64_t page, int64_t secs,
           bool intact = true, int64_t cpu = 1) {
    return eldu_with(slot, va, va_index, blob, page, secs, pcmd_of(blob), intact, cpu);
  }
  Out eldu_with(int64_t slot, int64_t va, int64_t va_index, int64_t blob, int64_t page,
                int64_t secs, SecInfo<C> pcmd, bool intact = true, int64_t cpu = 1) {
    return arch::eldu(d, s, EldOp<C>{cpu, slot, va, va_index, blob, page, secs, pcmd, intact});
  }
  Out eldb(int64_t slot, int64_t va, int64_t va_index, int64_t blob, int64_t page, int64_t secs,
           int64_t cpu = 1) {
    return arch::eldb(d, s,
                      EldOp<C>{cpu, slot, va, va_index, blob, page, secs, pcmd_of(blob), true});
  }
  // The SECINFO EWB recorded in blob `blob`'s PCMD.
  SecInfo<C> pcmd_of(int64_t blob) const {
    const Blob<C>& b = s.blob[size_t(blob)];
    return {false, b.type, b.r, b.w, b.x, b.pending, b.modified, b.pr};
  }
  Out eaug(int64_t slot, int64_t secs, int64_t page, int64_t cpu = 1) {
    return arch::eaug(d, s, EaugOp<C>{cpu, slot, secs, page});
  }
  Out emodpr(int64_t slot, SecInfo<C> info, int64_t cpu = 1) {
    return arch::emodpr(d, s, ModifyOp<C>{cpu, slot, info});
  }
  Out emodt(int64_t slot, SecInfo<C> info, int64_t cpu = 1) {
    return arch::emodt(d, s, ModifyOp<C>{cpu, slot, info});
  }

  // ENCLU and events on CPU `cpu`.
  Out eenter(int64_t cpu, int64_t tcs_page) {
    return arch::eenter(d, s, EnterOp<C>{cpu, tcs_page});
  }
  Out eresume(int64_t cpu, int64_t tcs_page) {
    return arch::eresume(d, s, EnterOp<C>{cpu, tcs_page});
  }
  Out eexit(int64_t cpu) { return arch::eexit(d, s, CpuOp<C>{cpu}); }
  Out aex(int64_t cpu) { return arch::aex(d, s, CpuOp<C>{cpu}); }
  Out ipi(int64_t cpu) { return arch::ipi(d, s, CpuOp<C>{cpu}); }
  Out eaccept(int64_t cpu, int64_t secinfo_page, int64_t page, SecInfo<C> info) {
    return arch::eaccept(d, s, AcceptOp<C>{cpu, secinfo_page, page, info});
  }
  Out eacceptcopy(int64_t cpu, int64_t secinfo_page, int64_t page, int64_t source,
                  SecInfo<C> info) {
    return arch::eacceptcopy(d, s, AcceptCopyOp<C>{cpu, secinfo_page, page, source, info});
  }
  Out emodpe(int64_t cpu, int64_t secinfo_page, int64_t page, SecInfo<C> info) {
    return arch::emodpe(d, s, AcceptOp<C>{cpu, secinfo_page, page, info});
  }
  Out load(int64_t cpu, int64_t page, int64_t word = 0) {
    return arch::load(d, s, AccessOp<C>{cpu, page, word, 0});
  }
  Out store(int64_t cpu, int64_t page, int64_t word = 0, int64_t value = 9) {
    return arch::store(d, s, AccessOp<C>{cpu, page, word, value});
  }
  Out fetch(int64_t cpu, int64_t page, int64_t word = 0) {
    return arch::fetch(d, s, AccessOp<C>{cpu, page, word, 0});
  }
  Out ereport(int64_t cpu, int64_t targetinfo, int64_t reportdata, int64_t out, int64_t target) {
    return arch::ereport(d, s, EreportOp<C>{cpu, targetinfo, reportdata, out, target});
  }
  Out store_tcs(int64_t cpu, int64_t page, int64_t cssa, int64_t nssa, int64_t ossa) {
    return arch::store_tcs(d, s, StoreTcsOp<C>{cpu, page, cssa, nssa, ossa});
  }

  // The OS (address space 0 unless named).
  Out map(int64_t page, int64_t slot, bool w = true, bool x = false, int64_t space = 0) {
    return arch::pte_set(d, s, PteSetOp<C>{space, page, slot, w, x});
  }
  Out unmap(int64_t page, int64_t space = 0) {
    return arch::pte_clear(d, s, PteClearOp<C>{space, page});
  }
  Out cr3(int64_t cpu, int64_t space) { return arch::cr3(d, s, Cr3Op<C>{cpu, space}); }

  // The two phases of a two-phase leaf (op.h apply_phase), for leaves in flight.
  Out begin(const Op& op) { return apply_phase(d, s, op, true); }
  Out end(const Op& op) { return apply_phase(d, s, op, false); }

  // Builds the layout above and maps pages 0-2; returns whether every step succeeded.
  bool build_enclave() {
    for (const Op& op : scenario_build_ops())
      if (apply(d, s, op).kind != kind::kOk) return false;
    return true;
  }

  // EBLOCK, ETRACK, EWB of `slot` into slot `va_index` of VA page `va` and blob `blob`.
  bool evict(int64_t slot, int64_t va_index, int64_t blob, int64_t va = layout::kVa) {
    return eblock(slot) == Ok() && etrack(layout::kSecs) == Ok() &&
           ewb(slot, va, va_index, blob) == Ok();
  }

  const Epcm<C>& epcm(int64_t slot) const { return s.epcm[size_t(slot)]; }
  const PageData<C>& data(int64_t slot) const { return s.data[size_t(slot)]; }
  const Cpu<C>& cpu(int64_t i) const { return s.cpu[size_t(i)]; }
  const Pte<C>& pte(int64_t page, int64_t space = 0) const {
    return s.pte[size_t(space)][size_t(page)];
  }
};

}  // namespace sgxref::model::test
