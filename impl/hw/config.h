// File: what the emulated machine looks like: EPC size, logical CPUs, RAM, the CPUID
// limits leaves check against, and the seed of every per-machine secret.
#pragma once

#include <cstdint>

namespace sgxref::hw {

struct Config {
  uint32_t epc_pages = 4096;
  // How many EPC sections CPUID(12h, 2+) enumerates: the EPC split into this many
  // physically contiguous ranges of (nearly) equal size, section i on NUMA node i. A
  // kernel keeps a free list per section and searches them (Linux's per-node lists).
  uint32_t epc_sections = 1;
  uint32_t cpus = 4;
  uint32_t ram_pages = 1u << 18;  // 1 GiB of simulated RAM frames, allocated lazily
  // CPUID(12h,0).EAX[1]: SGX2 enumerated. A kernel reads it (Linux's X86_FEATURE_SGX2)
  // to offer EAUG and the page-modification ioctls; the emulator's SGX2 leaves run
  // either way, as a kernel that ignores the bit would find on hardware that has them.
  bool sgx2 = true;
  // CPUID(12h,0).EDX[15:8]: a 64-bit enclave's SIZE must be below 2^this.
  uint8_t max_enclave_size_log2 = 36;
  // CPUID(12h,0).EDX[7:0]: the same limit for a 32-bit enclave (MODE64BIT=0).
  uint8_t max_enclave_size_log2_32bit = 31;
  // CPUID(12h,0).EBX: MISCSELECT bits the processor supports (EXINFO).
  uint32_t miscselect_supported = 1;
  // CPUID(12h,1).EAX/EBX: ATTRIBUTES bits that may be set (INIT, DEBUG, MODE64BIT,
  // PROVISIONKEY, EINITTOKENKEY, KSS, AEXNOTIFY).
  uint64_t attributes_supported = 0x4B7;
  // CPUID(12h,1).ECX/EDX: XFRM bits that may be set (x87, SSE, AVX).
  uint64_t xfrm_supported = 0x7;
  // Seeds the per-machine paging key (CR_BASE_PK) and report keys, so a run replays
  // bit for bit.
  uint64_t seed = 0x5367785265660001ull;
};

}  // namespace sgxref::hw
