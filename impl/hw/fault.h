// File: what a leaf can answer: success, an SGX code in RAX, or a fault. Leaves never
// throw; a fault is a value the caller inspects (the driver maps it like Linux's
// ENCLS_FAULT_FLAG, an enclave thread delivers it as an AEX).
#pragma once

#include <cstdint>
#include <ostream>

#include "uapi/sgx_code.h"

namespace sgxref::hw {

using uapi::SgxCode;

// kIntr is not an exception: an interrupt (the emulator's IPI, on Linux's
// CALL_FUNCTION_VECTOR) made the CPU leave its enclave before the step was executed.
enum class Vector : uint8_t { kNone = 0, kUD = 6, kGP = 13, kPF = 14, kIntr = 0xFB };

// Page-fault error code bits (SDM vol. 3A 4.7).
namespace pfec {
inline constexpr uint32_t kP = 1u << 0;
inline constexpr uint32_t kW = 1u << 1;
inline constexpr uint32_t kU = 1u << 2;
inline constexpr uint32_t kI = 1u << 4;
inline constexpr uint32_t kSgx = 1u << 15;
}  // namespace pfec

struct Fault {
  Vector vector = Vector::kNone;
  uint32_t error_code = 0;
  uint64_t addr = 0;  // CR2 for #PF

  bool operator==(const Fault&) const = default;
};

// The outcome of one ENCLS/ENCLU leaf.
struct Result {
  SgxCode code = SgxCode::kSuccess;  // RAX when the leaf returns a code
  bool cf = false;                   // RFLAGS.CF, informational (BLKSTATE, VA_SLOT_OCCUPIED)
  Fault fault;                       // vector kNone unless the leaf faulted

  static Result ok() { return {}; }
  static Result error(SgxCode c, bool carry = false) { return {c, carry, {}}; }
  static Result gp() { return {SgxCode::kSuccess, false, {Vector::kGP, 0, 0}}; }
  static Result ud() { return {SgxCode::kSuccess, false, {Vector::kUD, 0, 0}}; }
  static Result pf(uint64_t addr, uint32_t error_code) {
    return {SgxCode::kSuccess, false, {Vector::kPF, error_code, addr}};
  }
  // An enclave-side step (ENCLU, memory access) that did not run because an interrupt
  // had already made the CPU leave the enclave by AEX.
  static Result interrupted() { return {SgxCode::kSuccess, false, {Vector::kIntr, 0, 0}}; }
  // An EPCM check on an ENCLS/ENCLU operand failed: #PF with P and SGX set.
  static Result epcm_pf(uint64_t addr) { return pf(addr, pfec::kP | pfec::kSgx); }

  bool faulted() const { return fault.vector != Vector::kNone; }
  bool succeeded() const { return !faulted() && code == SgxCode::kSuccess; }
  bool operator==(const Result&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Result& r);

}  // namespace sgxref::hw
