#include "testlib/test_enclave.h"

#include <array>
#include <cstring>

#include "hw/cpu.h"
#include "hw/crypto/sha256.h"
#include "hw/inspect.h"
#include "sign/sigstruct.h"
#include "testlib/binding_sigstruct.h"
#include "testlib/enclave_builder.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::testlib {

namespace sf = uapi::secinfo_flag;

TestEnclave::TestEnclave(hw::Machine& m, hw::PageTable& pt, const sign::SigningKey& key,
                         const TestEnclaveOptions& o)
    : m_(m), pt_(pt), key_(key), o_(o), mem_(m) {}

hw::Result TestEnclave::build() {
  EnclaveBuilder b(m_, o_.secs_slot, o_.cpu);
  uapi::Secs secs = make_secs(o_.base, kSize);
  secs.miscselect = o_.miscselect;
  secs.attributes = (secs.attributes | o_.extra_attributes) & ~o_.cleared_attributes;
  secs.ssa_frame_size = o_.ssa_frame_size;
  if (hw::Result r = b.create(secs); !r.succeeded()) return r;

  struct Page {
    uint64_t offset;
    uint64_t flags;
    bool writable;
    bool nx;
  };
  constexpr uint64_t kRw = sf::type(uapi::PageType::kReg) | sf::kR | sf::kW;
  constexpr uint64_t kRx = sf::type(uapi::PageType::kReg) | sf::kR | sf::kX;
  constexpr uint64_t kTcs = sf::type(uapi::PageType::kTcs);
  const Page pages[] = {{kTcs1, kTcs, true, true}, {kTcs2, kTcs, true, true},
                        {kSsa1, kRw, true, true},  {kSsa1 + 0x1000, kRw, true, true},
                        {kSsa2, kRw, true, true},  {kCode, kRx, false, false},
                        {kData, kRw, true, true},  {kData2, kRw, true, true}};
  for (const Page& p : pages) {
    std::array<uint8_t, hw::kPageSize> bytes{};
    if (p.offset == kTcs1 || p.offset == kTcs2) {
      uapi::Tcs tcs = make_tcs(p.offset == kTcs1 ? kSsa1 : kSsa2, kCode);
      tcs.nr_ssa_frames = p.offset == kTcs1 ? 2 : 1;
      if (p.offset == kTcs2 && o_.edit_tcs2) o_.edit_tcs2(tcs);
      std::memcpy(bytes.data(), &tcs, sizeof tcs);
    } else if (p.offset == kCode) {
      for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = 0x90;  // NOP
    }
    if (hw::Result r = b.add_measured(slot(p.offset), la(p.offset), bytes.data(), p.flags);
        !r.succeeded()) {
      return r;
    }
    pt_.set(la(p.offset), hw::Pte{.present = true,
                                  .writable = p.writable,
                                  .nx = p.nx,
                                  .pa = m_.epc_addr(slot(p.offset))});
  }

  if (!o_.init) return hw::Result::ok();
  const uapi::SigStruct sig =
      sign::make_sigstruct(key_, binding_params(hw::Inspector(m_).secs(o_.secs_slot)));
  const sign::Rsa3072Le n = key_.modulus();
  m_.cpu(o_.cpu).write_lepubkeyhash(hw::Sha256::of(n.data(), n.size()));
  const hw::PAddr sig_pa = mem_.put(sig);
  const hw::PAddr token_pa = mem_.put(uapi::EinitToken{}, 512);
  return m_.cpu(o_.cpu).einit(sig_pa, secs_addr(), token_pa);
}

hw::PAddr TestEnclave::map_user_page(hw::LAddr la) {
  const hw::PAddr frame = mem_.frame();
  pt_.set(la, hw::Pte{.present = true, .writable = true, .nx = true, .pa = frame});
  return frame;
}

}  // namespace sgxref::testlib
