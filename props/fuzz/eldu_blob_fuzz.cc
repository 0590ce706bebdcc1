// Fuzz target: what ELDU and ELDB make of an evicted page handed back altered (DESIGN.md
// H4; SDM vol. 3D "EWB", "ELDB/ELDU"). The input picks one of four genuine blobs (a REG
// page, a TCS page, a SECS with no children left and a VA page) and XORs bytes into its
// parts: the ciphertext, the PCMD, PAGEINFO.LINADDR and PAGEINFO.SECS, and the VA slot's
// address. The rules:
//   - the blob as EWB wrote it reloads, with the page's bytes and EPCM fields as they were;
//   - any other blob does not, and leaves the machine as it was (Inspector::snapshot),
//     the target page invalid.
// PCMD.ENCLAVEID alone may differ and still load: the SDM's ELDU never reads it (EWB
// writes it for software's information; the MAC covers SECINFO, the reserved bytes,
// LINADDR and the owner's EID), docs/reliability.md.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz/require.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/enclave_builder.h"
#include "testlib/pager.h"
#include "testlib/small_config.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/tcs.h"

namespace sgxref::hw {
namespace {

using testlib::Blob;
namespace sf = uapi::secinfo_flag;
using fuzz::require;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x10000;
constexpr uint32_t kSecs = 0, kReg = 1, kTcs = 2, kVa = 3, kVa2 = 4, kLoneSecs = 5;
constexpr uint32_t kTarget = 6;

// An enclave with a REG and a TCS page, another with its SECS alone, two VA pages: the
// REG, the TCS, the lone SECS and the first (empty) VA page evicted into the second's
// slots.
struct World {
  World() : m(testlib::small_config(8, 64)), builder(m, kSecs), lone(m, kLoneSecs), pager(m) {
    for (size_t i = 0; i < plain.size(); ++i) plain[i] = uint8_t(i * 7 + 3);
    require(builder.create(testlib::make_secs(kBase, kSize)) == Result::ok(), "setup: ECREATE");
    require(builder.add(kReg, kBase + 0x1000, plain.data(), sf::type(PageType::kReg) | sf::kR | sf::kW) ==
                Result::ok(), "setup: EADD REG");
    const uapi::Tcs tcs = testlib::make_tcs(0x2000, 0x1000);
    require(builder.add(kTcs, kBase, &tcs, sf::type(PageType::kTcs)) == Result::ok(), "setup: EADD TCS");
    require(lone.create(testlib::make_secs(2 * kBase, kSize)) == Result::ok(), "setup: lone ECREATE");
    require(pager.epa(kVa) == Result::ok() && pager.epa(kVa2) == Result::ok(), "setup: EPA");
    for (uint32_t slot : {kReg, kTcs, kLoneSecs}) {
      const uint32_t i = slot;  // one VA slot each
      Blob b;
      expected[blobs] = Inspector(m).epcm(slot);
      std::memcpy(contents[blobs].data(), Inspector(m).page(slot), kPageSize);
      require(pager.evict(slot, pager.va_slot(kVa2, i), b) == Result::ok(), "setup: EWB");
      genuine[blobs++] = b;
    }
    Blob va;
    expected[blobs] = Inspector(m).epcm(kVa);
    std::memcpy(contents[blobs].data(), Inspector(m).page(kVa), kPageSize);
    require(pager.evict(kVa, pager.va_slot(kVa2, 0), va) == Result::ok(), "setup: EWB of the VA page");
    genuine[blobs++] = va;
  }

  Machine m;
  testlib::EnclaveBuilder builder;
  testlib::EnclaveBuilder lone;
  testlib::Pager pager;
  std::array<uint8_t, kPageSize> plain{};
  std::array<Blob, 4> genuine{};
  std::array<EpcmEntry, 4> expected{};
  std::array<std::array<uint8_t, kPageSize>, 4> contents{};
  size_t blobs = 0;
};

// XORs `x` into byte `at` of the blob part `part` names.
void alter(Blob& b, uint8_t part, uint16_t at, uint8_t x) {
  const auto xor_into = [&](void* p, size_t size) { static_cast<uint8_t*>(p)[at % size] ^= x; };
  switch (part % 5) {
    case 0: xor_into(b.page.data(), b.page.size()); break;
    case 1: xor_into(&b.pcmd, sizeof b.pcmd); break;
    case 2: xor_into(&b.linaddr, sizeof b.linaddr); break;
    case 3: xor_into(&b.secs, sizeof b.secs); break;
    default: xor_into(&b.va_slot, sizeof b.va_slot); break;
  }
}

// Whether `b` is `g` in everything ELDU reads.
bool same_blob(const Blob& b, const Blob& g) {
  uapi::Pcmd p = b.pcmd;
  p.enclave_id = g.pcmd.enclave_id;
  return b.page == g.page && std::memcmp(&p, &g.pcmd, sizeof p) == 0 && b.linaddr == g.linaddr &&
         b.secs == g.secs && b.va_slot == g.va_slot;
}

bool same_entry(const EpcmEntry& a, const EpcmEntry& b) {
  return a.valid == b.valid && a.r == b.r && a.w == b.w && a.x == b.x && a.type == b.type &&
         a.pending == b.pending && a.modified == b.modified && a.pr == b.pr && a.secs == b.secs &&
         a.enclave_address == b.enclave_address;
}

}  // namespace
}  // namespace sgxref::hw

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sgxref::hw;
  using sgxref::fuzz::require;
  World w;
  const size_t which = size > 0 ? data[0] % w.blobs : 0;
  const bool block = size > 0 && (data[0] & 0x80) != 0;
  sgxref::testlib::Blob b = w.genuine[which];
  for (size_t i = 1; i + 4 <= size; i += 4)
    alter(b, data[i], uint16_t(data[i + 1] | data[i + 2] << 8), data[i + 3]);

  const Snapshot before = Inspector(w.m).snapshot();
  const Result r = block ? w.pager.eldb(b, kTarget) : w.pager.eldu(b, kTarget);
  if (same_blob(b, w.genuine[which])) {
    require(r == Result::ok(), "the blob EWB wrote does not reload");
    const EpcmEntry got = Inspector(w.m).epcm(kTarget);
    require(same_entry(got, w.expected[which]), "the reloaded page's EPCM entry differs from before its eviction");
    require(got.blocked == (block && which < 2), "ELDB leaves an enclave's page BLOCKED, ELDU none");
    require(std::memcmp(Inspector(w.m).page(kTarget), w.contents[which].data(), kPageSize) == 0,
            "the reloaded page's bytes differ from before its eviction");
  } else {
    require(r != Result::ok(), "an altered blob reloads");
    require(!Inspector(w.m).epcm(kTarget).valid, "an altered blob left the target valid");
    require(Inspector(w.m).snapshot() == before, "an altered blob changed the machine");
  }
  return 0;
}
