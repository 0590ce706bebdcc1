#include "conformance/page_bytes.h"

#include <cstring>

#include "hw/address.h"
#include "hw/secs_private.h"
#include "uapi/secs.h"
#include "uapi/tcs.h"

namespace sgxref::conformance {

namespace arch = model::arch;

namespace {

constexpr uint64_t kNibbles = 0x1111'1111'1111'1111ull;

}  // namespace

uint64_t encode_word(int64_t v) { return uint64_t(v) * kNibbles; }

int64_t decode_word(uint64_t bytes) {
  const uint64_t v = bytes & 0xF;
  return bytes == v * kNibbles ? int64_t(v) : kGarbage;
}

arch::PageData<C> page_data_of(int64_t type, const uint8_t* bytes, const arch::Sizes& sz) {
  arch::PageData<C> p = arch::blank_page(C{}, sz);
  if (type == arch::pt::kSecs) {
    const uapi::Secs s = hw::load_secs(bytes);
    p.init = (s.attributes & uapi::attr::kInit) != 0;
    p.eid = int64_t(hw::load_secs_private(bytes).eid);
    p.base = int64_t(s.base >> hw::kPageShift);
    p.size = int64_t(s.size >> hw::kPageShift);
  } else if (type == arch::pt::kVa) {
    for (size_t k = 0; k < p.va.size(); ++k) std::memcpy(&p.va[k], bytes + 8 * k, 8);
  } else {
    uapi::Tcs t;
    std::memcpy(&t, bytes, sizeof t);
    p.active = t.state != 0;
    p.cssa = t.ssa_index;
    p.nssa = t.nr_ssa_frames;
    p.ossa = int64_t(t.ssa_offset >> hw::kPageShift);
    for (size_t w = 0; w < p.words.size(); ++w) {
      uint64_t raw;
      std::memcpy(&raw, bytes + kWordOffset[w], sizeof raw);
      p.words[w] = decode_word(raw);
    }
  }
  return p;
}

void put_words(uint8_t* bytes, const std::vector<int64_t>& words) {
  for (size_t w = 0; w < words.size(); ++w) {
    const uint64_t raw = encode_word(words[w]);
    std::memcpy(bytes + kWordOffset[w], &raw, sizeof raw);
  }
}

}  // namespace sgxref::conformance
