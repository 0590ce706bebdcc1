// File: what an evicted page's blob holds, read from what EWB actually sealed. A blob
// binds its version, enclave id, linear address and SECINFO only through its MAC, so
// they are found by opening it: first with the values software was told (the VA slot
// EWB filled, PCMD's enclave id, the LINADDR EWB reported, PCMD's SECINFO), and if that
// fails, with each of the first three in turn replaced by every value it could take. A
// blob nothing opens abstracts to kGarbage fields, which no model blob has.
#pragma once

#include "conformance/hw_runner.h"

namespace sgxref::conformance {

model::arch::Blob<C> unseal(const HwRunner& hw, const HwBlob& b);

}  // namespace sgxref::conformance
