// File: the moves the scenario checks use: an enclave thread's (EENTER, ERESUME, EEXIT,
// loads, stores, EACCEPT), the reclaimer's (EBLOCK, ETRACK, EWB, ELDU), the OS's EMODPR,
// EMODT, EREMOVE and its IPIs, each with every operand free. The operand records are public so a test
// can pair them with a transition of its own (a patched leaf, say).
#pragma once

#include <vector>

#include "bmc/move.h"
#include "bmc/operands.h"

namespace sgxref::proofs {

template <class G>
using DomainOf = typename G::D;

struct EnterOperands {
  template <class G>
  arch::EnterOp<DomainOf<G>> operator()(G& g) const {
    return {g.cpu(), g.page()};
  }
};

struct CpuOperands {
  template <class G>
  arch::CpuOp<DomainOf<G>> operator()(G& g) const {
    return {g.cpu()};
  }
};

// A load reads: what a store would write does not matter, so it is not a variable.
struct LoadOperands {
  template <class G>
  arch::AccessOp<DomainOf<G>> operator()(G& g) const {
    return {g.cpu(), g.page(), g.word(), g.fixed(0, arch::kWordBits)};
  }
};

struct StoreOperands {
  template <class G>
  arch::AccessOp<DomainOf<G>> operator()(G& g) const {
    return {g.cpu(), g.page(), g.word(), g.value(arch::kWordBits)};
  }
};

struct PageOperands {
  template <class G>
  arch::PageOp<DomainOf<G>> operator()(G& g) const {
    return {g.cpu(), g.slot()};
  }
};

struct EtrackOperands {
  template <class G>
  arch::EtrackOp<DomainOf<G>> operator()(G& g) const {
    return {g.cpu(), g.slot()};
  }
};

struct EwbOperands {
  template <class G>
  arch::EwbOp<DomainOf<G>> operator()(G& g) const {
    return {g.cpu(), g.slot(), g.slot(), g.va_index(), g.blob()};
  }
};

// ELDU handed any PCMD and any PAGEINFO: the solver plays the untrusted OS.
struct EldOperands {
  template <class G>
  arch::EldOp<DomainOf<G>> operator()(G& g) const {
    return {g.cpu(),  g.slot(), g.slot(),       g.va_index(), g.blob(),
            g.page(), g.slot(), any_secinfo(g), g.flag()};
  }
};

struct ModifyOperands {
  template <class G>
  arch::ModifyOp<DomainOf<G>> operator()(G& g) const {
    return {g.cpu(), g.slot(), any_secinfo(g)};
  }
};

struct AcceptOperands {
  template <class G>
  arch::AcceptOp<DomainOf<G>> operator()(G& g) const {
    return {g.cpu(), g.page(), g.page(), any_secinfo(g)};
  }
};

// EENTER, ERESUME, EEXIT, load, store, EACCEPT, IPI, EBLOCK, ETRACK, EWB, ELDU, EMODPR.
std::vector<Move> thread_and_reclaimer_moves();

}  // namespace sgxref::proofs
