// File: user code of the current task, outside any enclave: loads and stores through
// the CPU the task holds (TLB, page walk, Accessed bit), with the arch fault handler
// between a #PF and the retry, as a user program sees its memory. A fault the kernel
// does not resolve is the program's SIGSEGV or SIGBUS.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hw/address.h"
#include "hw/fault.h"
#include "kernel/mm.h"

namespace sgxref::kernel {

// The arch page-fault handler for a fault user code took (do_user_addr_fault): an
// EPCM violation (PFEC.SGX) is never resolved, since only the enclave's owner could
// fix it and the kernel cannot tell what it should be; a #GP neither; any other #PF
// goes to the mm's fault path, and out of memory is taken again.
FaultResult do_user_addr_fault(Mm& mm, const hw::Fault& f);

// `n` bytes at `a`, any alignment, faults resolved as above. kHandled when it all went
// through.
FaultResult user_load(hw::LAddr a, void* out, size_t n);
FaultResult user_store(hw::LAddr a, const void* in, size_t n);

}  // namespace sgxref::kernel
