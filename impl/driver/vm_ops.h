// File: what the driver attaches to an enclave mapping (Linux's sgx_vm_ops in encl.c):
// the fault handler that maps, and reloads, enclave pages; open for a VMA copied by fork
// or split; mprotect's check; the debugger's access through EDBGRD/EDBGWR.
#pragma once

#include "kernel/vma.h"

namespace sgxref::driver {

// The one instance every enclave VMA points to.
kernel::VmOps& sgx_vm_ops();

}  // namespace sgxref::driver
