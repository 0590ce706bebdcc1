// File: an enclave thread as a flow: EENTER on its TCS, EACCEPT of each data page in
// turn (the change the ioctl of thread 0 asks it to confirm), EEXIT. An IPI's AEX
// leaves it outside with its TCS busy; its next step is then ERESUME, which re-enters.
// Each entry notes whether the ioctl (thread 0) had returned; an EACCEPT that answers
// SGX_NOT_TRACKED for a page the ioctl returned as done, after such an entry, breaks
// D4.
#pragma once

#include <cstddef>

#include "flows/layout.h"
#include "flows/program.h"

namespace sgxref::proofs::flows {

// Enclave thread `e` of `l`, watching the ioctl of thread 0, whose program has
// `ioctl_length` instructions; it EACCEPTs with `accept`.
Program enclave_thread(const Layout& l, size_t e, size_t ioctl_length, const arch::SecInfo<C>& accept);

}  // namespace sgxref::proofs::flows
