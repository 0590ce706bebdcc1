// File: EREPORT. The REPORT's MAC is keyed with the report key of the enclave TARGETINFO
// names; the model keeps what that verdict depends on, whose key it is, as the SECS slot
// of the enclave whose identity TARGETINFO carries. The REPORT's other bytes are not
// modelled (it lands outside the words loads and stores reach).
#pragma once

#include "arch/common.h"

namespace sgxref::model::arch {

template <class D>
struct EreportOp {
  typename D::Int cpu;
  typename D::Int targetinfo, reportdata, out;  // the pages RBX, RCX and RDX lie in
  // The enclave whose identity (MRENCLAVE, attributes, ...) TARGETINFO carries, as its
  // SECS slot; any other value is an identity no enclave has.
  typename D::Int target;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("cpu", s.cpu...);
    f("targetinfo", s.targetinfo...);
    f("reportdata", s.reportdata...);
    f("out", s.out...);
    f("target", s.target...);
  }
};

// Each operand in turn: inside ELRANGE (#GP), resolved through the page table (#PF), on
// a usable page of the enclave (#PF), writable for the REPORT. The outcome's value is
// the SECS slot whose enclave's report key MACs the REPORT: the target's, or null_slot
// when the target is no enclave.
template <Domain D>
Outcome<D> ereport(const D& d, State<D>& s, const EreportOp<D>& op) {
  const Running<D> me = running(d, s, op.cpu);
  Checks<D> c(d);
  c.gp_if(!me.mode);
  for (const auto& [page, write] : {std::pair{op.targetinfo, false}, std::pair{op.reportdata, false},
                                    std::pair{op.out, true}}) {
    c.gp_if(!in_elrange(d, s, me.secs, page));
    const typename D::Int slot = resolve(d, s, c, op.cpu, page, write);
    c.pf_if(!is_data_page(at(d, s.epcm, slot), me.secs, page, write), page, epcm_pfec(write));
  }
  const Epcm<D> t = at(d, s.epcm, op.target);
  c.answer(ite(in_epc(s, op.target) && t.valid && t.type == pt::kSecs, op.target,
               d.num(null_slot(s))));
  return deliver(d, s, op.cpu, c.outcome());
}

}  // namespace sgxref::model::arch
