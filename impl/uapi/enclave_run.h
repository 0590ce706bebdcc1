// File: the run context of the vDSO's enclave entry (Linux uapi asm/sgx.h, struct
// sgx_enclave_run) and the shape of the exit handler it may call. User space fills tcs,
// user_handler and user_data; the entry reports the last ENCLU leaf and, after an
// exception in the enclave, its vector, error code and address.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sgxref::uapi {

struct EnclaveRun;

// Called on every exit when EnclaveRun::user_handler is set, with the registers as the
// enclave left them (rdi, rsi, rdx, r8, r9 are undefined after an AEX) and the
// untrusted stack pointer. Returns 0 or less to hand that value back to the caller, or
// an ENCLU leaf (enclu::kEenter, kEresume) to run next.
using EnclaveUserHandler = int (*)(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
                                   EnclaveRun* run);

// The ENCLU leaf numbers EnclaveRun::function holds.
namespace enclu {
inline constexpr uint32_t kEenter = 2;
inline constexpr uint32_t kEresume = 3;
inline constexpr uint32_t kEexit = 4;
}  // namespace enclu

struct EnclaveRun {
  uint64_t tcs;                   // linear address of the TCS to enter
  uint32_t function;              // out: the last ENCLU leaf (enclu::)
  uint16_t exception_vector;      // out: after an exception in the enclave
  uint16_t exception_error_code;  // out
  uint64_t exception_addr;        // out
  uint64_t user_handler;          // an EnclaveUserHandler, or 0
  uint64_t user_data;             // for the handler
  uint8_t reserved[216];          // must be zero
};
static_assert(sizeof(EnclaveRun) == 256);
static_assert(offsetof(EnclaveRun, tcs) == 0);
static_assert(offsetof(EnclaveRun, function) == 8);
static_assert(offsetof(EnclaveRun, exception_vector) == 12);
static_assert(offsetof(EnclaveRun, exception_error_code) == 14);
static_assert(offsetof(EnclaveRun, exception_addr) == 16);
static_assert(offsetof(EnclaveRun, user_handler) == 24);
static_assert(offsetof(EnclaveRun, user_data) == 32);
static_assert(offsetof(EnclaveRun, reserved) == 40);

}  // namespace sgxref::uapi
