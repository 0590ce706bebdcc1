// File: the abstraction function from the emulator's state to the model's, and the
// normal form both are compared in.
//
// abstract() reads the emulator through its inspection API only: EPCM entries, page
// bytes by type and their words (HwRunner::page_data), CPU views (enclave mode, active
// SECS, TCS slot, TLB), each enclave's tracking epoch, the page tables, and the blobs as
// their sealed bytes say (unseal.h). Epochs become the model's ages: a page's stamp age
// and a CPU's entry age are ETRACKs of the enclave since, saturating at 2. A SECS's
// measured events are those of the runner's log exactly when the emulator's MRENCLAVE is
// their hash.
//
// normalize() clears what neither side promises anything about (the fields of a free
// EPCM entry and of an unused blob, the bytes of a page that only matter by type, the
// stamp age of an unstamped page, an invalid TLB entry or PTE, a CPU's SECS, TCS and
// entry age outside enclave mode) and renames enclave ids and versions in order of first
// appearance, since only their equalities mean anything.
#pragma once

#include "conformance/hw_runner.h"

namespace sgxref::conformance {

model::arch::State<C> abstract(const HwRunner& hw);

void normalize(model::arch::State<C>& s);

}  // namespace sgxref::conformance
