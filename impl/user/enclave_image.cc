#include "user/enclave_image.h"

#include <algorithm>
#include <cstring>

#include "hw/address.h"
#include "uapi/tcs.h"

namespace sgxref::user {

uint64_t enclave_size(const EnclaveImage& image) {
  if (image.size != 0) return image.size;
  uint64_t end = 0;
  for (const Segment& s : image.segments) end = std::max(end, s.offset + s.length());
  // ECREATE refuses an ELRANGE below two pages (#GP, -EIO from SGX_IOC_ENCLAVE_CREATE).
  uint64_t size = 2 * hw::kPageSize;
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

std::vector<uint8_t> tcs_page(uint64_t ssa, uint64_t entry) {
  uapi::Tcs t{};
  t.ssa_offset = ssa;
  t.nr_ssa_frames = 1;
  t.entry_offset = entry;
  t.fs_limit = 0xFFFFFFFF;
  t.gs_limit = 0xFFFFFFFF;
  std::vector<uint8_t> page(hw::kPageSize);
  std::memcpy(page.data(), &t, sizeof t);
  return page;
}

}  // namespace sgxref::user
