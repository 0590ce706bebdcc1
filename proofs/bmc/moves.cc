#include "bmc/moves.h"

namespace sgxref::proofs {

// The model's leaf `fn` as a transition both domains can run.
#define SGXREF_LEAF(fn) [](const auto& d, auto& s, const auto& op) { return arch::fn(d, s, op); }

std::vector<Move> thread_and_reclaimer_moves() {
  using test::Leaf;
  return {
      make_move("EENTER", Leaf::kEenter, EnterOperands{}, SGXREF_LEAF(eenter)),
      make_move("ERESUME", Leaf::kEresume, EnterOperands{}, SGXREF_LEAF(eresume)),
      make_move("EEXIT", Leaf::kEexit, CpuOperands{}, SGXREF_LEAF(eexit)),
      make_move("load", Leaf::kLoad, LoadOperands{}, SGXREF_LEAF(load)),
      make_move("store", Leaf::kStore, StoreOperands{}, SGXREF_LEAF(store)),
      make_move("EACCEPT", Leaf::kEaccept, AcceptOperands{}, SGXREF_LEAF(eaccept)),
      make_move("IPI", Leaf::kIpi, CpuOperands{}, SGXREF_LEAF(ipi)),
      make_move("EBLOCK", Leaf::kEblock, PageOperands{}, SGXREF_LEAF(eblock)),
      make_move("ETRACK", Leaf::kEtrack, EtrackOperands{}, SGXREF_LEAF(etrack)),
      make_move("EWB", Leaf::kEwb, EwbOperands{}, SGXREF_LEAF(ewb)),
      make_move("ELDU", Leaf::kEldu, EldOperands{}, SGXREF_LEAF(eldu)),
      make_move("EMODPR", Leaf::kEmodpr, ModifyOperands{}, SGXREF_LEAF(emodpr)),
      make_move("EMODT", Leaf::kEmodt, ModifyOperands{}, SGXREF_LEAF(emodt)),
      make_move("EREMOVE", Leaf::kEremove, PageOperands{}, SGXREF_LEAF(eremove)),
  };
}

#undef SGXREF_LEAF

}  // namespace sgxref::proofs
