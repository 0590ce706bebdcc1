#include "conformance/unseal.h"

#include <cstring>
#include <vector>

#include "conformance/page_bytes.h"
#include "hw/inspect.h"
#include "hw/mac_header.h"
#include "hw/secs_private.h"
#include "uapi/page_type.h"
#include "uapi/secs.h"

namespace sgxref::conformance {

namespace arch = model::arch;
namespace sf = uapi::secinfo_flag;

namespace {

struct Binding {
  uint64_t version, eid, linaddr;
};

bool opens(const hw::Machine& m, const HwBlob& b, const Binding& x, uint8_t* plain) {
  hw::MacHeader header{};
  header.eid = x.eid;
  header.secinfo = b.pcmd.secinfo;
  std::memcpy(header.pcmd_reserved, b.pcmd.reserved, sizeof header.pcmd_reserved);
  header.linaddr = x.linaddr;
  hw::AesGcmPage::Mac mac;
  std::memcpy(mac.data(), b.pcmd.mac, mac.size());
  return hw::Inspector(m).paging_cipher().open(x.version, header.bytes(), b.ciphertext.data(), mac,
                                               plain);
}

}  // namespace

arch::Blob<C> unseal(const HwRunner& hw, const HwBlob& b) {
  const hw::Machine& m = hw.machine();
  const arch::Sizes& sz = hw.sizes();
  const uint64_t flags = b.pcmd.secinfo.flags;
  const auto type = uapi::PageType((flags & sf::kTypeMask) >> sf::kTypeShift);
  const bool child = hw::is_child_type(type);

  const Binding told{b.va_value, child ? b.pcmd.enclave_id : 0, b.linaddr};
  std::vector<Binding> tries{told};
  const hw::Snapshot snap = hw::Inspector(m).snapshot();
  for (uint64_t v = 1; v < snap.paging_version; ++v) tries.push_back({v, told.eid, told.linaddr});
  for (uint64_t e = 0; e < snap.next_eid; ++e) tries.push_back({told.version, e, told.linaddr});
  for (uint64_t l = 0; l < 2 * sz.pages; ++l)
    tries.push_back({told.version, told.eid, l * hw::kPageSize});

  arch::Blob<C> blob = arch::initial_state(C{}, sz).blob[0];
  std::array<uint8_t, hw::kPageSize> plain;
  for (const Binding& x : tries) {
    if (!opens(m, b, x, plain.data())) continue;
    blob.valid = true;
    blob.version = int64_t(x.version);
    blob.eid = int64_t(x.eid);
    blob.page = int64_t(x.linaddr >> hw::kPageShift);
    blob.type = int64_t(type);
    blob.r = (flags & sf::kR) != 0;
    blob.w = (flags & sf::kW) != 0;
    blob.x = (flags & sf::kX) != 0;
    blob.pending = (flags & sf::kPending) != 0;
    blob.modified = (flags & sf::kModified) != 0;
    blob.pr = (flags & sf::kPr) != 0;
    blob.data = page_data_of(int64_t(type), plain.data(), sz);
    if (type == uapi::PageType::kSecs) {
      // An evicted SECS's MRENCLAVE: the final one in its bytes once initialized, the
      // running one the machine keeps by enclave id before.
      const uint64_t eid = hw::load_secs_private(plain.data()).eid;
      hw::Digest mr{};
      std::memcpy(mr.data(), hw::load_secs(plain.data()).mrenclave, mr.size());
      if (!blob.data.init) {
        const auto it = snap.measurements.find(eid);
        if (it != snap.measurements.end()) mr = it->second;
      }
      const std::array<int64_t, 2> events = hw.measured_events(eid, mr);
      blob.data.mr_count = events[0];
      blob.data.mr_page = events[1];
    }
    return blob;
  }
  blob.valid = true;
  blob.version = blob.eid = blob.page = blob.type = kGarbage;
  return blob;
}

}  // namespace sgxref::conformance
