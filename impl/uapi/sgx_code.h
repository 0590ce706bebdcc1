// File: the SGX return codes that ENCLS/ENCLU leaves leave in RAX (SDM vol. 3D,
// Table "Error or Information Codes"; the values Linux's sgx_errno list uses).
#pragma once

#include <cstdint>

namespace sgxref::uapi {

enum class SgxCode : uint32_t {
  kSuccess = 0,
  kInvalidSigStruct = 1,
  kInvalidAttribute = 2,
  kBlkState = 3,
  kInvalidMeasurement = 4,
  kNotBlockable = 5,
  kPgInvld = 6,
  kEpcPageConflict = 7,
  kInvalidSignature = 8,
  kMacCompareFail = 9,
  kPageNotBlocked = 10,
  kNotTracked = 11,
  kVaSlotOccupied = 12,
  kChildPresent = 13,
  kEnclaveAct = 14,
  kEntryEpochLocked = 15,
  kInvalidEinitToken = 16,
  kPrevTrkIncmpl = 17,
  kPgIsSecs = 18,
  kPageAttributesMismatch = 19,
  kPageNotModifiable = 20,
  kPageNotDebuggable = 21,
  kInvalidCounter = 25,
  kPgNonEpc = 26,
  kTrackNotRequired = 27,
  kInvalidCpuSvn = 32,
  kInvalidIsvSvn = 64,
  kUnmaskedEvent = 128,
  kInvalidKeyName = 256,
};

constexpr const char* to_string(SgxCode c) {
  switch (c) {
    case SgxCode::kSuccess: return "SGX_SUCCESS";
    case SgxCode::kInvalidSigStruct: return "SGX_INVALID_SIG_STRUCT";
    case SgxCode::kInvalidAttribute: return "SGX_INVALID_ATTRIBUTE";
    case SgxCode::kBlkState: return "SGX_BLKSTATE";
    case SgxCode::kInvalidMeasurement: return "SGX_INVALID_MEASUREMENT";
    case SgxCode::kNotBlockable: return "SGX_NOTBLOCKABLE";
    case SgxCode::kPgInvld: return "SGX_PG_INVLD";
    case SgxCode::kEpcPageConflict: return "SGX_EPC_PAGE_CONFLICT";
    case SgxCode::kInvalidSignature: return "SGX_INVALID_SIGNATURE";
    case SgxCode::kMacCompareFail: return "SGX_MAC_COMPARE_FAIL";
    case SgxCode::kPageNotBlocked: return "SGX_PAGE_NOT_BLOCKED";
    case SgxCode::kNotTracked: return "SGX_NOT_TRACKED";
    case SgxCode::kVaSlotOccupied: return "SGX_VA_SLOT_OCCUPIED";
    case SgxCode::kChildPresent: return "SGX_CHILD_PRESENT";
    case SgxCode::kEnclaveAct: return "SGX_ENCLAVE_ACT";
    case SgxCode::kEntryEpochLocked: return "SGX_ENTRYEPOCH_LOCKED";
    case SgxCode::kInvalidEinitToken: return "SGX_INVALID_EINITTOKEN";
    case SgxCode::kPrevTrkIncmpl: return "SGX_PREV_TRK_INCMPL";
    case SgxCode::kPgIsSecs: return "SGX_PG_IS_SECS";
    case SgxCode::kPageAttributesMismatch: return "SGX_PAGE_ATTRIBUTES_MISMATCH";
    case SgxCode::kPageNotModifiable: return "SGX_PAGE_NOT_MODIFIABLE";
    case SgxCode::kPageNotDebuggable: return "SGX_PAGE_NOT_DEBUGGABLE";
    case SgxCode::kInvalidCounter: return "SGX_INVALID_COUNTER";
    case SgxCode::kPgNonEpc: return "SGX_PG_NONEPC";
    case SgxCode::kTrackNotRequired: return "SGX_TRACK_NOT_REQUIRED";
    case SgxCode::kInvalidCpuSvn: return "SGX_INVALID_CPUSVN";
    case SgxCode::kInvalidIsvSvn: return "SGX_INVALID_ISVSVN";
    case SgxCode::kUnmaskedEvent: return "SGX_UNMASKED_EVENT";
    case SgxCode::kInvalidKeyName: return "SGX_INVALID_KEYNAME";
  }
  return "SGX_UNKNOWN";
}

}  // namespace sgxref::uapi
