// Explicit instantiations of the whole arch model in both value domains.
#include "arch/arch.h"
#include "domain/symbolic.h"

namespace sgxref::model::arch {

// A leaf that takes locks: whole, and each of its two phases.
#define SGXREF_TWO_PHASE(D, leaf, Op)                              \
  template Outcome<D> leaf(const D&, State<D>&, const Op<D>&);       \
  template Outcome<D> leaf##_begin(const D&, State<D>&, const Op<D>&); \
  template Outcome<D> leaf##_end(const D&, State<D>&, const Op<D>&);

#define SGXREF_MODEL_INSTANTIATE(D)                                         \
  template State<D> initial_state(const D&, const Sizes&);                  \
  SGXREF_TWO_PHASE(D, ecreate, EcreateOp)                                   \
  SGXREF_TWO_PHASE(D, eadd, EaddOp)                                         \
  SGXREF_TWO_PHASE(D, eextend, EextendOp)                                   \
  SGXREF_TWO_PHASE(D, einit, EinitOp)                                       \
  SGXREF_TWO_PHASE(D, epa, PageOp)                                          \
  SGXREF_TWO_PHASE(D, eblock, PageOp)                                       \
  SGXREF_TWO_PHASE(D, etrack, EtrackOp)                                     \
  SGXREF_TWO_PHASE(D, ewb, EwbOp)                                           \
  SGXREF_TWO_PHASE(D, eldb, EldOp)                                          \
  SGXREF_TWO_PHASE(D, eldu, EldOp)                                          \
  SGXREF_TWO_PHASE(D, eremove, PageOp)                                      \
  SGXREF_TWO_PHASE(D, eaug, EaugOp)                                         \
  SGXREF_TWO_PHASE(D, emodpr, ModifyOp)                                     \
  SGXREF_TWO_PHASE(D, emodt, ModifyOp)                                      \
  SGXREF_TWO_PHASE(D, eaccept, AcceptOp)                                    \
  SGXREF_TWO_PHASE(D, eacceptcopy, AcceptCopyOp)                            \
  SGXREF_TWO_PHASE(D, emodpe, AcceptOp)                                     \
  SGXREF_TWO_PHASE(D, eenter, EnterOp)                                      \
  SGXREF_TWO_PHASE(D, eresume, EnterOp)                                     \
  template Outcome<D> ereport(const D&, State<D>&, const EreportOp<D>&);    \
  template Outcome<D> eexit(const D&, State<D>&, const CpuOp<D>&);          \
  template Outcome<D> aex(const D&, State<D>&, const CpuOp<D>&);            \
  template Outcome<D> ipi(const D&, State<D>&, const CpuOp<D>&);            \
  template Outcome<D> load(const D&, State<D>&, const AccessOp<D>&);        \
  template Outcome<D> store(const D&, State<D>&, const AccessOp<D>&);       \
  template Outcome<D> fetch(const D&, State<D>&, const AccessOp<D>&);       \
  template Outcome<D> store_tcs(const D&, State<D>&, const StoreTcsOp<D>&); \
  template Outcome<D> pte_set(const D&, State<D>&, const PteSetOp<D>&);     \
  template Outcome<D> pte_clear(const D&, State<D>&, const PteClearOp<D>&); \
  template Outcome<D> cr3(const D&, State<D>&, const Cr3Op<D>&);            \
  template D::Bool h1(const D&, const State<D>&);                           \
  template D::Bool tlb_follows_page_tables(const D&, const State<D>&);      \
  template D::Bool h2(const D&, const State<D>&);                           \
  template D::Bool h3(const D&, const State<D>&);                           \
  template D::Bool h4(const D&, const State<D>&);                           \
  template D::Bool well_formed(const D&, const State<D>&);

SGXREF_MODEL_INSTANTIATE(Concrete)
SGXREF_MODEL_INSTANTIATE(Symbolic)

}  // namespace sgxref::model::arch
