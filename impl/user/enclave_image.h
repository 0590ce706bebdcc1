// File: an enclave image as a loader holds it before building: the pages of each
// segment with their SECINFO flags and mapping protections, and the SECS choices
// (the kernel selftests read the same from their ELF file's PT_LOAD headers). The
// loader (enclave_loader.h) builds it through the driver; the signer
// (image_sigstruct.h) measures it.
#pragma once

#include <cstdint>
#include <vector>

#include "uapi/secs.h"

namespace sgxref::user {

struct Segment {
  uint64_t offset = 0;         // from the enclave's base, page-aligned
  std::vector<uint8_t> bytes;  // whole pages
  uint64_t secinfo_flags = 0;  // page type and EPCM rights (uapi::secinfo_flag)
  uint64_t prot = 0;           // PROT_* of its mapping
  bool measure = true;         // EEXTEND its pages (SGX_PAGE_MEASURE)

  uint64_t length() const { return bytes.size(); }
};

struct EnclaveImage {
  std::vector<Segment> segments;  // in ascending offsets
  uint32_t ssa_frame_size = 1;    // pages
  uint32_t miscselect = 0;
  uint64_t attributes = uapi::attr::kMode64Bit;
  uint64_t xfrm = 0x3;  // x87 | SSE
  // ELRANGE's size, when the author chose one larger than the segments need (room for
  // pages added at run time); 0 for enclave_size's default.
  uint64_t size = 0;
};

// ELRANGE's size: `image.size` if set, else the smallest power of two, at least two
// pages, covering every segment.
uint64_t enclave_size(const EnclaveImage& image);

// The SECS ECREATE gets for `image` at `base`.
uapi::Secs make_secs(const EnclaveImage& image, uint64_t base);

// A TCS page with one SSA frame at enclave offset `ssa`, entering at offset `entry`,
// FS and GS limits all ones, the rest zero.
std::vector<uint8_t> tcs_page(uint64_t ssa, uint64_t entry);

}  // namespace sgxref::user
