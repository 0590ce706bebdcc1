// File: the architectural model in one include: state, transitions, invariants.
//
// Every transition is `Outcome<D> leaf(const D& d, State<D>& s, const LeafOp<D>& op)`:
// it updates `s` in place (a refused leaf leaves it unchanged, except for the AEX a
// fault in enclave mode causes) and returns the outcome. A leaf that takes locks is
// also two transitions, leaf_begin and leaf_end, with the leaf in flight between them
// (flight.h). Operands may take any value of their field's width (a slot at or beyond
// Sizes::slots is an address outside the EPC, a page at or beyond Sizes::pages is
// outside the address space) except these, which must be in range: `cpu`, `space`,
// `va_index`, `blob`, `word`. See docs/model.md.
#pragma once

#include "arch/accept.h"
#include "arch/access.h"
#include "arch/build.h"
#include "arch/common.h"
#include "arch/edmm.h"
#include "arch/entry.h"
#include "arch/flight.h"
#include "arch/fresh.h"
#include "arch/invariants.h"
#include "arch/os.h"
#include "arch/outcome.h"
#include "arch/reclaim.h"
#include "arch/report.h"
#include "arch/state.h"
#include "arch/tracking.h"
#include "arch/types.h"
