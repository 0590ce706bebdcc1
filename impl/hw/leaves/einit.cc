// EINIT: check an enclave's SIGSTRUCT against its finished measurement and the launch
// policy, then freeze the SECS: final MRENCLAVE, MRSIGNER, product identity, INIT
// (SDM vol. 3D "EINIT—Initialize an Enclave for Execution").
#include <cstddef>
#include <cstring>

#include "hw/all_zero.h"
#include "hw/cpu.h"
#include "hw/crypto/rsa3072.h"
#include "hw/crypto/sha256.h"
#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "hw/mrenclave.h"
#include "hw/secs_private.h"
#include "sched/scheduler.h"
#include "uapi/secs.h"
#include "uapi/sigstruct.h"

namespace sgxref::hw {

namespace {

// The SDM's first SIGSTRUCT check. The body's first reserved bytes hold CET_ATTRIBUTES
// and its mask on processors with CET; this one has none, so they are reserved too.
bool sigstruct_well_formed(const uapi::SigStruct& s) {
  return std::memcmp(s.header.header1, uapi::kSigStructHeader1, sizeof s.header.header1) == 0 &&
         (s.header.vendor == 0 || s.header.vendor == uapi::kSigStructVendorIntel) &&
         std::memcmp(s.header.header2, uapi::kSigStructHeader2, sizeof s.header.header2) == 0 &&
         s.exponent == 3 && all_zero(s.header.reserved) && all_zero(s.body.reserved1) &&
         all_zero(s.body.reserved2) && all_zero(s.reserved);
}

template <typename T>
T secs_field(const uint8_t* secs_page, size_t offset) {
  T v;
  std::memcpy(&v, secs_page + offset, sizeof v);
  return v;
}

template <typename T>
void set_secs_field(uint8_t* secs_page, size_t offset, T v) {
  std::memcpy(secs_page + offset, &v, sizeof v);
}

// The SECS's values the checks after the locks compare against.
struct SecsState {
  uint64_t eid = 0;
  uint64_t attributes = 0;
  uint64_t xfrm = 0;
  uint32_t miscselect = 0;
  Digest mrenclave{};  // final: the running hash with SHA-256's length padding applied
};

}  // namespace

Result Cpu::do_einit(PAddr sigstruct, PAddr secs, PAddr token) {
  if (!is_aligned(sigstruct, kPageSize) || !is_aligned(secs, kPageSize) ||
      !is_aligned(token, uapi::kEinitTokenAlign)) {
    return Result::gp();
  }
  const auto slot = m_.epc_slot(secs);
  if (!slot) return Result::pf(secs, 0);

  uapi::SigStruct sig;
  if (Result r = m_.read(sigstruct, &sig, sizeof sig); r.faulted()) return r;
  uapi::EinitToken tok;
  if (Result r = m_.read(token, &tok, sizeof tok); r.faulted()) return r;

  if (!sigstruct_well_formed(sig)) return Result::error(SgxCode::kInvalidSigStruct);
  // The SDM's "event window" around the signature check answers SGX_UNMASKED_EVENT when
  // an interrupt is pending. No interrupt reaches a logical CPU while the emulator runs
  // one of its ENCLS leaves, so that code never arises here.
  if (!sigstruct_signature_valid(sig)) return Result::error(SgxCode::kInvalidSignature);

  LeafLocks locks(m_);
  SecsState st;
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kShared)) return Result::gp();
    const EpcmEntry& e = m_.epcm_entry(*slot);
    if (!e.valid || e.type != PageType::kSecs) return Result::epcm_pf(secs);
    const uint8_t* p = m_.page(*slot);
    st.eid = load_secs_private(p).eid;
    st.attributes = secs_field<uint64_t>(p, offsetof(uapi::Secs, attributes));
    st.xfrm = secs_field<uint64_t>(p, offsetof(uapi::Secs, xfrm));
    st.miscselect = secs_field<uint32_t>(p, offsetof(uapi::Secs, miscselect));
    if (!all_zero(sig.body.isv_family_id) && (st.attributes & uapi::attr::kKss) == 0) {
      return Result::error(SgxCode::kInvalidSigStruct);
    }
    // EADD, EEXTEND and EINIT exclude each other on the measurement; an initialized
    // enclave has no measurement left to finish.
    if (!m_.lock_page(locks, *slot, LockKind::kMeasurement) ||
        (st.attributes & uapi::attr::kInit) != 0) {
      return Result::gp();
    }
    st.mrenclave = running_mrenclave(m_, *slot).peek();
  }
  sched::point("einit.locked");

  if (std::memcmp(sig.body.mrenclave, st.mrenclave.data(), st.mrenclave.size()) != 0) {
    return Result::error(SgxCode::kInvalidMeasurement);
  }
  // MRSIGNER hashes the modulus as SIGSTRUCT stores it, little-endian.
  const Digest mrsigner = Sha256::of(sig.modulus, sizeof sig.modulus);
  const bool signed_by_launch_key = mrsigner == lepubkeyhash_;
  // The SDM's prose names SIGSTRUCT.ATTRIBUTES here; its pseudocode tests the SECS, the
  // attributes the enclave actually gets (docs/hw.md, decisions).
  if ((st.attributes & uapi::attr::kEinitTokenKey) != 0 && !signed_by_launch_key) {
    return Result::error(SgxCode::kInvalidAttribute);
  }
  // ATTRIBUTES and XFRM are the two halves of the SDM's 128-bit ATTRIBUTES field, as
  // ATTRIBUTEMASK and XFRM mask are of ATTRIBUTEMASK. CET_ATTRIBUTES is not checked:
  // this processor has no CET (CPUID(12h,1).EAX[6] = 0).
  const uapi::SigStructBody& b = sig.body;
  if ((st.attributes & b.attributes_mask) != (b.attributes & b.attributes_mask) ||
      (st.xfrm & b.xfrm_mask) != (b.xfrm & b.xfrm_mask) ||
      (st.miscselect & b.misc_mask) != (b.miscselect & b.misc_mask)) {
    return Result::error(SgxCode::kInvalidAttribute);
  }

  if ((tok.valid & 1u) == 0) {
    // No token: the processor itself is the launch policy (the flexible launch control
    // path Linux uses): the enclave must be signed by the key the OS wrote into
    // IA32_SGXLEPUBKEYHASH.
    if (!signed_by_launch_key) return Result::error(SgxCode::kInvalidEinitToken);
  } else {
    // A launch enclave's token. Its debug-launch rule, its reserved fields and its MAC
    // all answer SGX_INVALID_EINITTOKEN, and the MAC can never match: it is a CMAC under
    // the launch key, which only EGETKEY derives, and this machine has no EGETKEY of
    // that key, so no software here can make one. CPUSVN is not modelled, so the
    // SGX_INVALID_CPUSVN check between them never fires (docs/hw.md, decisions).
    return Result::error(SgxCode::kInvalidEinitToken);
  }

  sched::MutexLock l(m_.mu());
  uint8_t* p = m_.page(*slot);
  std::memcpy(p + offsetof(uapi::Secs, mrenclave), st.mrenclave.data(), st.mrenclave.size());
  std::memcpy(p + offsetof(uapi::Secs, mrsigner), mrsigner.data(), mrsigner.size());
  set_secs_field<uint16_t>(p, offsetof(uapi::Secs, isv_prod_id), b.isv_prod_id);
  set_secs_field<uint16_t>(p, offsetof(uapi::Secs, isv_svn), b.isv_svn);
  set_secs_field<uint64_t>(p, offsetof(uapi::Secs, attributes),
                           st.attributes | uapi::attr::kInit);
  m_.measurements().erase(st.eid);
  return Result::ok();
}

}  // namespace sgxref::hw
