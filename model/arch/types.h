// File: the architectural constants the model uses (its own copies: the model shares no
// code with impl/): EPCM page types, SGX return codes, page-fault error-code bits, and
// the SECINFO operand.
#pragma once

#include <cstdint>

namespace sgxref::model::arch {

// EPCM.PT (SDM "Enclave Page Types").
namespace pt {
inline constexpr int64_t kSecs = 0;
inline constexpr int64_t kTcs = 1;
inline constexpr int64_t kReg = 2;
inline constexpr int64_t kVa = 3;
inline constexpr int64_t kTrim = 4;
}  // namespace pt

// SGX return codes left in RAX (SDM "Error or Information Codes").
namespace sgx {
inline constexpr int64_t kInvalidSigStruct = 1;
inline constexpr int64_t kInvalidAttribute = 2;
inline constexpr int64_t kBlkState = 3;
inline constexpr int64_t kInvalidMeasurement = 4;
inline constexpr int64_t kNotBlockable = 5;
inline constexpr int64_t kPgInvld = 6;
inline constexpr int64_t kEpcPageConflict = 7;
inline constexpr int64_t kInvalidSignature = 8;
inline constexpr int64_t kMacCompareFail = 9;
inline constexpr int64_t kPageNotBlocked = 10;
inline constexpr int64_t kNotTracked = 11;
inline constexpr int64_t kVaSlotOccupied = 12;
inline constexpr int64_t kChildPresent = 13;
inline constexpr int64_t kEnclaveAct = 14;
inline constexpr int64_t kInvalidEinitToken = 16;
inline constexpr int64_t kPrevTrkIncmpl = 17;
inline constexpr int64_t kPgIsSecs = 18;
inline constexpr int64_t kPageAttributesMismatch = 19;
inline constexpr int64_t kPageNotModifiable = 20;
inline constexpr int64_t kInvalidCpuSvn = 32;
inline constexpr int64_t kUnmaskedEvent = 128;
}  // namespace sgx

// Page-fault error code bits (SDM vol. 3A 4.7).
namespace pfec {
inline constexpr int64_t kP = 1 << 0;
inline constexpr int64_t kW = 1 << 1;
inline constexpr int64_t kU = 1 << 2;
inline constexpr int64_t kI = 1 << 4;
inline constexpr int64_t kSgx = 1 << 15;
}  // namespace pfec

// SECINFO as a leaf reads it. `reserved` stands for "some reserved bit or byte is set".
template <class D>
struct SecInfo {
  typename D::Bool reserved;
  typename D::Int type;
  typename D::Bool r, w, x, pending, modified, pr;

  template <class F, class... S>
  static void fields(F&& f, S&... s) {
    f("reserved", s.reserved...);
    f("type", s.type...);
    f("r", s.r...);
    f("w", s.w...);
    f("x", s.x...);
    f("pending", s.pending...);
    f("modified", s.modified...);
    f("pr", s.pr...);
  }
};

}  // namespace sgxref::model::arch
