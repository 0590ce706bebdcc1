// Explicit instantiations of the whole arch model in both value domains.
#include "arch/arch.h"
#include "domain/symbolic.h"

namespace sgxref::model::arch {

#define SGXREF_MODEL_INSTANTIATE(D)                                             \
  template State<D> initial_state(const D&, const Sizes&);                      \
  template Outcome<D> ecreate(const D&, State<D>&, const EcreateOp<D>&);        \
  template Outcome<D> eadd(const D&, State<D>&, const EaddOp<D>&);              \
  template Outcome<D> eextend(const D&, State<D>&, const EextendOp<D>&);        \
  template Outcome<D> einit(const D&, State<D>&, const EinitOp<D>&);            \
  template Outcome<D> epa(const D&, State<D>&, const PageOp<D>&);               \
  template Outcome<D> eblock(const D&, State<D>&, const PageOp<D>&);            \
  template Outcome<D> etrack(const D&, State<D>&, const EtrackOp<D>&);          \
  template Outcome<D> ewb(const D&, State<D>&, const EwbOp<D>&);                \
  template Outcome<D> eldb(const D&, State<D>&, const EldOp<D>&);               \
  template Outcome<D> eldu(const D&, State<D>&, const EldOp<D>&);               \
  template Outcome<D> eremove(const D&, State<D>&, const PageOp<D>&);           \
  template Outcome<D> eaug(const D&, State<D>&, const EaugOp<D>&);              \
  template Outcome<D> emodpr(const D&, State<D>&, const ModifyOp<D>&);          \
  template Outcome<D> emodt(const D&, State<D>&, const ModifyOp<D>&);           \
  template Outcome<D> eaccept(const D&, State<D>&, const AcceptOp<D>&);         \
  template Outcome<D> eacceptcopy(const D&, State<D>&, const AcceptCopyOp<D>&); \
  template Outcome<D> emodpe(const D&, State<D>&, const AcceptOp<D>&);          \
  template Outcome<D> eenter(const D&, State<D>&, const EnterOp<D>&);           \
  template Outcome<D> eresume(const D&, State<D>&, const EnterOp<D>&);          \
  template Outcome<D> eexit(const D&, State<D>&, const CpuOp<D>&);              \
  template Outcome<D> aex(const D&, State<D>&, const CpuOp<D>&);                \
  template Outcome<D> ipi(const D&, State<D>&, const CpuOp<D>&);                \
  template Outcome<D> load(const D&, State<D>&, const AccessOp<D>&);            \
  template Outcome<D> store(const D&, State<D>&, const AccessOp<D>&);           \
  template Outcome<D> fetch(const D&, State<D>&, const AccessOp<D>&);           \
  template Outcome<D> store_tcs(const D&, State<D>&, const StoreTcsOp<D>&);     \
  template Outcome<D> pte_set(const D&, State<D>&, const PteSetOp<D>&);         \
  template Outcome<D> pte_clear(const D&, State<D>&, const PteClearOp<D>&);     \
  template D::Bool h1(const D&, const State<D>&);                               \
  template D::Bool h2(const D&, const State<D>&);                               \
  template D::Bool h3(const D&, const State<D>&);                               \
  template D::Bool h4(const D&, const State<D>&);                               \
  template D::Bool well_formed(const D&, const State<D>&);

SGXREF_MODEL_INSTANTIATE(Concrete)
SGXREF_MODEL_INSTANTIATE(Symbolic)

}  // namespace sgxref::model::arch
