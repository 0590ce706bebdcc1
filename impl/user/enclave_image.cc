#include "user/enclave_image.h"

#include <algorithm>

#include "hw/address.h"

namespace sgxref::user {

uint64_t enclave_size(const EnclaveImage& image) {
  uint64_t end = 0;
  for (const Segment& s : image.segments) end = std::max(end, s.offset + s.length());
  uint64_t size = hw::kPageSize;
  while (size < end) size <<= 1;
  return size;
}

uapi::Secs make_secs(const EnclaveImage& image, uint64_t base) {
  uapi::Secs secs{};
  secs.size = enclave_size(image);
  secs.base = base;
  secs.ssa_frame_size = image.ssa_frame_size;
  secs.miscselect = image.miscselect;
  secs.attributes = image.attributes;
  secs.xfrm = image.xfrm;
  return secs;
}

}  // namespace sgxref::user
