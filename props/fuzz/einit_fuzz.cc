// Fuzz target: EINIT over SIGSTRUCT and EINITTOKEN bytes (SDM vol. 3D "EINIT"). The
// input's first byte picks the mode; the rest XORs bytes into the genuine SIGSTRUCT (the
// test key's signature of the enclave as built) and into a zero token.
//   - Raw: the bytes are EINIT's as they come. Every SIGSTRUCT byte is signed or bound
//     by the signature (Q1 and Q2 included), and with VALID clear the token's other
//     bytes are never read (flexible launch control, Linux's path): EINIT succeeds
//     exactly when the SIGSTRUCT is the genuine one and the token's VALID bit is clear.
//   - Structure-aware: the edits go to the signed HEADER and BODY, and the SIGSTRUCT is
//     signed again with the test key, so the checks after the signature are reached;
//     EINIT succeeds exactly when the SDM's rules below hold (a restatement for the
//     oracle, not the emulator's code).
// A refused EINIT leaves the machine as it was; a successful one sets INIT and the
// SIGSTRUCT's identity in the SECS, and nothing else.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz/require.h"
#include "hw/cpu.h"
#include "hw/crypto/sha256.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "sign/sigstruct.h"
#include "testlib/binding_sigstruct.h"
#include "testlib/enclave_builder.h"
#include "testlib/kernel_memory.h"
#include "testlib/small_config.h"
#include "testlib/test_signing_key.h"
#include "uapi/page_type.h"
#include "uapi/secs.h"
#include "uapi/sigstruct.h"
#include "uapi/tcs.h"

namespace sgxref::hw {
namespace {

namespace sf = uapi::secinfo_flag;
using fuzz::require;

constexpr uint64_t kBase = 0x4000'0000;
constexpr uint64_t kSize = 0x1'0000;
constexpr uint32_t kSecs = 0;

Digest key_hash() {
  const sign::Rsa3072Le n = testlib::test_signing_key().modulus();
  return Sha256::of(n.data(), n.size());
}

// The test key's genuine SIGSTRUCT of the enclave every input starts from, signed once.
const uapi::SigStruct& genuine(const SecsView& built) {
  static const uapi::SigStruct s = [&] {
    sign::SigStructParams p = testlib::binding_params(built);
    p.date = 0x20261207;
    p.isv_prod_id = 0x0102;
    p.isv_svn = 0x0304;
    return sign::make_sigstruct(testlib::test_signing_key(), p);
  }();
  return s;
}

// An enclave with a measured REG page and TCS, Linux's launch key hash written.
struct World {
  World() : m(testlib::small_config(8, 64)), mem(m) {
    std::array<uint8_t, kPageSize> page{};
    for (size_t i = 0; i < page.size(); ++i) page[i] = uint8_t(i * 7 + 1);
    testlib::EnclaveBuilder b(m, kSecs);
    require(b.create(testlib::make_secs(kBase, kSize)) == Result::ok(), "setup: ECREATE");
    require(b.add_measured(1, kBase, page.data(), sf::type(PageType::kReg) | sf::kR | sf::kW) ==
                Result::ok(), "setup: EADD");
    const uapi::Tcs tcs = testlib::make_tcs(0x2000, 0);
    require(b.add_measured(2, kBase + 0x1000, &tcs, sf::type(PageType::kTcs)) == Result::ok(),
            "setup: EADD TCS");
    m.cpu(0).write_lepubkeyhash(key_hash());
  }
  Machine m;
  testlib::KernelMemory mem;
};

void xor_into(void* p, size_t size, uint16_t at, uint8_t x) { static_cast<uint8_t*>(p)[at % size] ^= x; }

template <size_t N>
bool zero(const uint8_t (&a)[N]) {
  for (uint8_t b : a)
    if (b != 0) return false;
  return true;
}

// The SDM's EINIT rules for a SIGSTRUCT signed by the launch key, in the order they are
// listed: well formed; a family id only with KSS; the measurement; the masked attributes,
// XFRM and MISCSELECT; no launch token.
bool einit_allows(const uapi::SigStruct& s, const uapi::EinitToken& t, const SecsView& secs) {
  const uapi::SigStructBody& b = s.body;
  const bool well_formed =
      std::memcmp(s.header.header1, uapi::kSigStructHeader1, 16) == 0 &&
      std::memcmp(s.header.header2, uapi::kSigStructHeader2, 16) == 0 &&
      (s.header.vendor == 0 || s.header.vendor == uapi::kSigStructVendorIntel) && s.exponent == 3 &&
      zero(s.header.reserved) && zero(b.reserved1) && zero(b.reserved2) && zero(s.reserved);
  return well_formed && (zero(b.isv_family_id) || (secs.attributes & uapi::attr::kKss) != 0) &&
         std::memcmp(b.mrenclave, secs.mrenclave.data(), 32) == 0 &&
         (secs.attributes & b.attributes_mask) == (b.attributes & b.attributes_mask) &&
         (secs.xfrm & b.xfrm_mask) == (b.xfrm & b.xfrm_mask) &&
         (secs.miscselect & b.misc_mask) == (b.miscselect & b.misc_mask) && (t.valid & 1u) == 0;
}

}  // namespace
}  // namespace sgxref::hw

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sgxref;
  using namespace sgxref::hw;
  using fuzz::require;
  World w;
  const SecsView built = Inspector(w.m).secs(kSecs);
  uapi::SigStruct s = genuine(built);
  uapi::EinitToken t{};
  const bool resign = size > 0 && (data[0] & 1) != 0;
  for (size_t i = 1; i + 4 <= size; i += 4) {
    const uint16_t at = uint16_t(data[i + 1] | data[i + 2] << 8);
    if (data[i] & 1) xor_into(&t, sizeof t, at, data[i + 3]);
    // Re-signing rewrites the key, the signature and Q1, Q2: the edits go to the signed
    // HEADER and BODY, every byte of which some rule reads.
    else if (resign && at % 256 < 128) xor_into(&s.header, sizeof s.header, at, data[i + 3]);
    else if (resign) xor_into(&s.body, sizeof s.body, at, data[i + 3]);
    else xor_into(&s, sizeof s, at, data[i + 3]);
  }
  if (resign) sign::sign_sigstruct(testlib::test_signing_key(), s);

  const bool allowed = resign ? einit_allows(s, t, built)
                              : std::memcmp(&s, &genuine(built), sizeof s) == 0 && (t.valid & 1u) == 0;
  const PAddr sig = w.mem.put(s);
  const PAddr tok = w.mem.put(t, 512);
  const Snapshot before = Inspector(w.m).snapshot();
  const Result r = w.m.cpu(0).einit(sig, w.m.epc_addr(kSecs), tok);
  if (!allowed) {
    require(r != Result::ok(), "EINIT accepted what its rules refuse");
    require(Inspector(w.m).snapshot() == before, "a refused EINIT changed the machine");
    return 0;
  }
  require(r == Result::ok(), "EINIT refused what its rules accept");
  SecsView want = built;
  want.initialized = true;
  want.attributes |= uapi::attr::kInit;
  want.mrsigner = key_hash();
  want.isv_prod_id = s.body.isv_prod_id;
  want.isv_svn = s.body.isv_svn;
  const SecsView got = Inspector(w.m).secs(kSecs);
  require(got.mrenclave == want.mrenclave, "EINIT's MRENCLAVE is not the measurement");
  want.mrenclave = got.mrenclave;
  require(got == want, "EINIT set the SECS otherwise than INIT and the SIGSTRUCT's identity");
  return 0;
}
