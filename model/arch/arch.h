// File: the architectural model in one include: state, transitions, invariants.
//
// Every transition is `Outcome<D> leaf(const D& d, State<D>& s, const LeafOp<D>& op)`:
// it updates `s` in place (a refused leaf leaves it unchanged, except for the AEX a
// fault in enclave mode causes) and returns the outcome. Operands may take any value
// of the domain (a slot at or beyond Sizes::slots is an address outside the EPC, a page
// at or beyond Sizes::pages is outside the address space) except three, which must be
// in range: `cpu` < Sizes::cpus, `va_index` < Sizes::va_slots, `blob` < Sizes::blobs.
// See docs/model.md.
#pragma once

#include "arch/accept.h"
#include "arch/access.h"
#include "arch/build.h"
#include "arch/common.h"
#include "arch/edmm.h"
#include "arch/entry.h"
#include "arch/invariants.h"
#include "arch/os.h"
#include "arch/outcome.h"
#include "arch/reclaim.h"
#include "arch/state.h"
#include "arch/tracking.h"
#include "arch/types.h"
