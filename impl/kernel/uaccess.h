// File: the kernel's access to user memory of the current task's process. Like Linux's
// copy_from_user and copy_to_user they return how many bytes were NOT copied, and fault
// pages in on the way (anonymous memory, or a driver's fault handler); an address the
// process may not access stops the copy there, and the caller answers -EFAULT. EPC
// mapped into the process reads as the abort page (all-ones), as it does for any access
// from outside the enclave. The caller must not hold the mm's mmap_lock.
#pragma once

#include <cstdint>

#include "hw/address.h"

namespace sgxref::kernel {

uint64_t copy_from_user(void* dst, hw::LAddr src, uint64_t n);
uint64_t copy_to_user(hw::LAddr dst, const void* src, uint64_t n);

}  // namespace sgxref::kernel
