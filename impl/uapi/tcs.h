// File: the Thread Control Structure (SDM vol. 3D "Layout of TCS"; Linux struct sgx_tcs).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sgxref::uapi {

struct Tcs {
  uint64_t state;
  uint64_t flags;  // bit 0: DBGOPTIN; the rest reserved
  uint64_t ssa_offset;
  uint32_t ssa_index;  // CSSA
  uint32_t nr_ssa_frames;  // NSSA
  uint64_t entry_offset;
  uint64_t exit_addr;  // AEP
  uint64_t fs_offset;
  uint64_t gs_offset;
  uint32_t fs_limit;
  uint32_t gs_limit;
  uint8_t reserved[4024];
};
static_assert(sizeof(Tcs) == 4096);
static_assert(offsetof(Tcs, fs_limit) == 64);

inline constexpr uint64_t kTcsFlagDbgOptIn = 1ull << 0;
inline constexpr uint64_t kTcsFlagsReserved = ~kTcsFlagDbgOptIn;

}  // namespace sgxref::uapi
