// File: the parts of an SSA frame the enclave leaves read and write (SDM vol. 3D
// "State Save Area (SSA) Frame"): GPRSGX, the last 184 bytes of the frame; EXINFO, the
// 16 bytes below it when MISCSELECT.EXINFO is set; and the XSAVE header at offset 512
// of the frame's first page.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sgxref::hw {

struct GprSgx {
  uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rflags;
  uint64_t rip;
  uint64_t ursp;  // the outside RSP and RBP, saved by EENTER, restored by AEX
  uint64_t urbp;
  uint32_t exitinfo;
  uint8_t reserved[3];
  uint8_t aexnotify;
  uint64_t fsbase;
  uint64_t gsbase;
};
static_assert(sizeof(GprSgx) == 184);
static_assert(offsetof(GprSgx, rsp) == 32);
static_assert(offsetof(GprSgx, rflags) == 128);
static_assert(offsetof(GprSgx, exitinfo) == 160);
static_assert(offsetof(GprSgx, fsbase) == 168);

// EXITINFO: which exception made the AEX (SDM "Layout of EXITINFO Field").
namespace exitinfo {
inline constexpr uint32_t kVectorMask = 0xFF;
inline constexpr uint32_t kTypeShift = 8;
inline constexpr uint32_t kTypeHardwareException = 3;
inline constexpr uint32_t kValid = 1u << 31;
}  // namespace exitinfo

struct ExInfo {
  uint64_t maddr;  // #PF: the faulting linear address; #GP: 0
  uint32_t errcd;
  uint32_t reserved;
};
static_assert(sizeof(ExInfo) == 16);

// The XSAVE header's XSTATE_BV and the bytes after it that XRSTOR requires to be zero
// (XCOMP_BV and the first reserved quadword; ERESUME's "offsets 520-535").
inline constexpr size_t kXsaveHeaderOffset = 512;
inline constexpr size_t kXsaveHeaderSize = 64;
inline constexpr size_t kXsaveMustBeZeroOffset = 520;
inline constexpr size_t kXsaveMustBeZeroSize = 16;

}  // namespace sgxref::hw
