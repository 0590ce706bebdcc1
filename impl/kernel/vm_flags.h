// File: Linux's mapping flags with their values: the mmap protection and map flags user
// space passes, and the VMA flags the kernel keeps (include/linux/mm.h, uapi mman.h).
#pragma once

#include <cstdint>

namespace sgxref::kernel {

inline constexpr uint64_t PROT_READ = 0x1;
inline constexpr uint64_t PROT_WRITE = 0x2;
inline constexpr uint64_t PROT_EXEC = 0x4;

inline constexpr uint64_t MAP_SHARED = 0x01;
inline constexpr uint64_t MAP_PRIVATE = 0x02;
inline constexpr uint64_t MAP_FIXED = 0x10;
inline constexpr uint64_t MAP_ANONYMOUS = 0x20;

inline constexpr uint64_t VM_READ = 0x1;
inline constexpr uint64_t VM_WRITE = 0x2;
inline constexpr uint64_t VM_EXEC = 0x4;
inline constexpr uint64_t VM_SHARED = 0x8;
inline constexpr uint64_t VM_MAYREAD = 0x10;
inline constexpr uint64_t VM_MAYWRITE = 0x20;
inline constexpr uint64_t VM_MAYEXEC = 0x40;
inline constexpr uint64_t VM_MAYSHARE = 0x80;
inline constexpr uint64_t VM_PFNMAP = 0x400;
inline constexpr uint64_t VM_IO = 0x4000;
inline constexpr uint64_t VM_DONTCOPY = 0x20000;
inline constexpr uint64_t VM_DONTEXPAND = 0x40000;
inline constexpr uint64_t VM_DONTDUMP = 0x4000000;

inline constexpr uint64_t kVmProtMask = VM_READ | VM_WRITE | VM_EXEC;

// PROT_* to VM_*: the low three bits mean the same.
inline constexpr uint64_t vm_flags_of(uint64_t prot) { return prot & kVmProtMask; }

}  // namespace sgxref::kernel
