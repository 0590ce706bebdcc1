// File: MRENCLAVE as an enclave author's signing tool computes it before any hardware
// is involved: SHA-256 over the 64-byte blocks ECREATE, EADD and EEXTEND contribute
// (SDM vol. 3D "ECREATE", "EADD", "EEXTEND"). Independent of the emulator's code, so
// a SIGSTRUCT built from it is a real check of the emulator's measurement.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

struct evp_md_ctx_st;

namespace sgxref::sign {

class EnclaveMeasurement {
 public:
  // ECREATE's block: SSAFRAMESIZE (pages) and SIZE (bytes) of the SECS.
  EnclaveMeasurement(uint32_t ssa_frame_size, uint64_t size);
  ~EnclaveMeasurement();
  EnclaveMeasurement(const EnclaveMeasurement&) = delete;
  EnclaveMeasurement& operator=(const EnclaveMeasurement&) = delete;

  // EADD of a page at `offset` from the base with SECINFO.FLAGS `secinfo_flags` (for a
  // TCS the permission bits must already be zero, as the processor measures them).
  void add(uint64_t offset, uint64_t secinfo_flags);
  // EEXTEND of the 256-byte chunk at `offset`.
  void extend(uint64_t offset, const uint8_t* chunk256);
  // EADD followed by EEXTEND of all 16 chunks of the 4 KiB `page`.
  void add_measured(uint64_t offset, uint64_t secinfo_flags, const uint8_t* page);

  std::array<uint8_t, 32> mrenclave() const;

 private:
  void block(const uint8_t* data, size_t n);
  evp_md_ctx_st* ctx_;
};

}  // namespace sgxref::sign
