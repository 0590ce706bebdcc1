// File: ksgxd's sgx_reclaim_pages as a flow (impl/driver/reclaim.cc): one batch of every
// page on the LRU (each child page the driver has in the EPC and does not hold for
// reclaim), in the LRU's order, through Linux's three passes. Mark: under the enclave
// mutex, SGX_ENCL_PAGE_BEING_RECLAIMED. Block: the PTEs zapped, then EBLOCK under the
// mutex. Write: under the mutex, EWB into the lowest free VA slot; if the page is not
// tracked, ETRACK and EWB again; if still not, an IPI to the enclave's CPUs and EWB a
// last time (an EWB failing then is a driver bug, D1). The page's EPC slot goes back to
// the free list; the last child out takes the SECS with it (EWB of the SECS).
#pragma once

#include "flows/layout.h"
#include "flows/program.h"
#include "flows/variant.h"

namespace sgxref::proofs::flows {

Program reclaimer(const Layout& l, const Variant& v);

}  // namespace sgxref::proofs::flows
