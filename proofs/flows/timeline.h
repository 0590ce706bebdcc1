// File: a counterexample as people read it: one row per step, the point it ended at in
// the column of the thread that moved, then the state the flows are about after it: each
// data page's EPCM rights, PR, tracking stamp and BLOCKED (or, evicted, what its blob
// holds), whether the SECS is evicted, each enclave CPU's mode, entry age and TLB
// entries for the data pages, and what the ioctl returned once it has.
#pragma once

#include <ostream>

#include "flows/check.h"
#include "flows/layout.h"

namespace sgxref::proofs::flows {

void print_timeline(std::ostream& os, const System& sys, const Layout& l, const Counterexample& cex);

}  // namespace sgxref::proofs::flows
