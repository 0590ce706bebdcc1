#include "user/image_sigstruct.h"

#include "hw/address.h"
#include "sign/enclave_measurement.h"
#include "sign/sigstruct.h"

namespace sgxref::user {

uapi::SigStruct sign_enclave_image(const EnclaveImage& image, const sign::SigningKey& key) {
  sign::EnclaveMeasurement m(image.ssa_frame_size, enclave_size(image));
  for (const Segment& s : image.segments) {
    for (uint64_t at = 0; at < s.length(); at += hw::kPageSize) {
      if (s.measure) {
        m.add_measured(s.offset + at, s.secinfo_flags, s.bytes.data() + at);
      } else {
        m.add(s.offset + at, s.secinfo_flags);
      }
    }
  }
  sign::SigStructParams p;
  p.miscselect = image.miscselect;
  p.misc_mask = ~uint32_t(0);
  p.attributes = image.attributes;
  p.attributes_mask = ~uint64_t(0);
  p.xfrm = image.xfrm;
  p.xfrm_mask = ~uint64_t(0);
  p.mrenclave = m.mrenclave();
  return sign::make_sigstruct(key, p);
}

}  // namespace sgxref::user
