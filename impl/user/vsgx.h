// File: the vDSO's enclave entry, __vdso_sgx_enter_enclave (Linux
// arch/x86/entry/vdso/vsgx.S, its contract in uapi asm/sgx.h), for user code of the
// current task, which holds a CPU for the call (or is given one).
//
// What Linux's does, and this one with it:
// - `function` must be EENTER (2) or ERESUME (3) and run->reserved all zero, else
//   -EINVAL; checked again each time a user handler asks for another ENCLU.
// - One ENCLU serves as EENTER and as the AEP: RBX = run->tcs, RCX = the AEP, RDI, RSI,
//   RDX, R8, R9 passed through to the enclave. EEXIT to the address after it sets
//   run->function = EEXIT (4).
// - An AEX goes to the kernel: an interrupt, or a fault the kernel resolves
//   (do_user_addr_fault: anonymous memory faulted in, a driver's fault handler), comes
//   back to the AEP, whose ENCLU is ERESUME (the synthetic state's RAX), without the
//   caller seeing it. A fault the kernel answers with a signal, on the ENCLU itself or
//   in the enclave, is caught by the vDSO's exception fixup instead: run->function :=
//   the leaf being executed (EENTER, or ERESUME after an AEX), exception_vector,
//   exception_error_code and exception_addr := the trap's. The exception fields are
//   never cleared.
// - Then, with no run->user_handler, the entry returns 0. With one, it calls it with
//   (rdi, rsi, rdx, the untrusted RSP, r8, r9, run) as the enclave left them, or for an
//   exception with rdi, rsi, rdx := vector, error code, address; a handler's result of
//   0 or less is returned, a positive one is the ENCLU leaf to execute next.
#pragma once

#include "hw/address.h"
#include "uapi/enclave_run.h"

namespace sgxref::user {

// Where the vDSO's ENCLU would be: the AEP, and (3 bytes on) the address EENTER leaves
// in RCX for the enclave's EEXIT. The vDSO is C++ here, so nothing is mapped there; the
// addresses only travel in registers, as on Linux.
inline constexpr hw::LAddr kVdsoEnclu = 0x7fff'f7fc'1040;
inline constexpr hw::LAddr kVdsoAfterEnclu = kVdsoEnclu + 3;

int vdso_sgx_enter_enclave(unsigned long rdi, unsigned long rsi, unsigned long rdx,
                           unsigned int function, unsigned long r8, unsigned long r9,
                           uapi::EnclaveRun* run);

}  // namespace sgxref::user
