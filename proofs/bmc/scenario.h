// File: the scenario enclave (props/model/world.h's layout: SECS slot 0, TCS slot 1 at
// page 0, REG slots 2 and 3 at pages 1 and 2, VA slot 4, pages 0-2 mapped in address
// space 0) at the sizes the checker uses.
#pragma once

#include "bmc/terms.h"

namespace sgxref::proofs {

// The scenario's layout with one free EPC slot (for ELDU), two CPUs (an enclave thread
// and the reclaimer), one address space, one word of contents and two blobs: the
// smallest sizes on which the scenario builds and a page can go out and come back.
arch::Sizes checker_sizes();

// The state test::scenario_build_ops() leave at sizes `sz`. Throws std::invalid_argument
// if one of them fails there.
State<C> scenario_state(const arch::Sizes& sz);

}  // namespace sgxref::proofs
