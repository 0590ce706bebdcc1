// File: building an enclave through CREATE, ADD_PAGES and INIT as user space sees it
// (Linux ioctl.c sgx_ioc_enclave_create, _add_pages, _init; the SDM's EADD for what it
// forces on a TCS). The builder has prepared source pages in its memory and a SIGSTRUCT
// signed for one build: the pages EADDed in that order, each with its SECINFO, source
// and whether it was measured. EINIT compares the measurement, which is a digest of
// exactly that sequence (for distinct sources), so INIT succeeds if and only if the
// enclave was built as signed; anything else is SGX_INVALID_MEASUREMENT, -EPERM.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "enclave_state.h"
#include "sgx2_ioctls.h"

namespace sgxref::model::uapi {

namespace build_err {
inline constexpr long kIo = -5;
inline constexpr long kBusy = -16;
}  // namespace build_err

// One EADD: where, with which SECINFO.FLAGS, from which source page, and EEXTENDed or not.
struct AddedPage {
  uint64_t offset = 0;
  uint64_t flags = 0;
  uint64_t source = 0;
  bool measured = false;
  bool operator==(const AddedPage&) const = default;
};

// What the builder prepared: ELRANGE's size in its SECS, its source pages (distinct),
// and the build its SIGSTRUCT was signed for.
struct BuildPlan {
  uint64_t size = 0;
  std::vector<std::vector<uint8_t>> sources;
  std::vector<AddedPage> signed_for;
};

// An enclave under construction through one descriptor.
struct Build {
  bool created = false;
  bool initialized = false;
  bool provision_key = false;  // its SECS asks for PROVISIONKEY
  bool provisioned = false;    // PROVISION has let it have PROVISIONKEY since CREATE
  std::map<uint64_t, Page> pages;  // by offset
  std::vector<AddedPage> added;    // every EADD so far, in order
};

// The SECS a CREATE passes: the one the plan was signed for, the same asking for
// PROVISIONKEY, or a wrong one.
enum class SecsKind : uint8_t {
  kSigned,
  kProvisionKey,
  kBadPointer,
  kSizeNotPowerOfTwo,
  kBaseMisaligned
};

// CREATE: once only (-EINVAL); the SECS copied in (-EFAULT); a size that is not a power
// of two is -EINVAL before ECREATE; ECREATE refusing the SECS (a base not aligned to
// the size) is -EIO. Only success changes anything, and it starts the enclave's
// attribute mask afresh: a PROVISION before CREATE is lost (Linux sgx_encl_create).
inline long create(Build& b, SecsKind f) {
  if (b.created) return err::kInval;
  if (f == SecsKind::kBadPointer) return err::kFault;
  if (f == SecsKind::kSizeNotPowerOfTwo) return err::kInval;
  if (f == SecsKind::kBaseMisaligned) return build_err::kIo;
  b.created = true;
  b.provision_key = f == SecsKind::kProvisionKey;
  b.provisioned = false;
  return 0;
}

// PROVISION, in any state: the argument (-EFAULT), a descriptor of /dev/sgx_provision
// (-EINVAL); then the enclave may have PROVISIONKEY.
inline long provision(Build& b, bool bad_pointer, bool provision_file) {
  if (bad_pointer) return err::kFault;
  if (!provision_file) return err::kInval;
  b.provisioned = true;
  return 0;
}

// ADD_PAGES as user space fills it: `source` indexes the prepared pages, as many as the
// length takes (`src_unmapped`: the source address has no mapping); `secinfo_reserved`
// sets a reserved SECINFO byte.
struct AddArgs {
  uint64_t source = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t flags = 0;  // SECINFO.FLAGS
  bool measure = false;
  bool bad_pointer = false;
  bool src_misaligned = false;
  bool src_unmapped = false;
  bool secinfo_reserved = false;
};

// The call that adds page `p` as the plan has it, alone.
inline AddArgs add_args_for(const AddedPage& p) {
  AddArgs a;
  a.source = p.source;
  a.offset = p.offset;
  a.length = kPage;
  a.flags = p.flags;
  a.measure = p.measured;
  return a;
}

// sgx_validate_secinfo: REG or TCS, never W without R, a TCS without rights, no flag
// but the rights and the type, the reserved bytes zero.
inline bool secinfo_acceptable(uint64_t flags, bool reserved_set) {
  const int64_t type = secinfo::type_of(flags);
  if (type != pt::kReg && type != pt::kTcs) return false;
  if ((flags & prot::kW) && !(flags & prot::kR)) return false;
  if (type == pt::kTcs && (flags & prot::kRwx) != 0) return false;
  if ((flags & ~uint64_t(prot::kRwx | 0xFF00)) != 0) return false;
  return !reserved_set;
}

// EADD's test of a TCS (64-bit enclave): no reserved FLAGS bit, no reserved byte.
inline bool tcs_well_formed(const std::vector<uint8_t>& bytes) {
  if ((bytes[8] & 0xFE) != 0) return false;
  for (uint64_t i = 9; i < 16; ++i) {
    if (bytes[i] != 0) return false;
  }
  for (uint64_t i = 72; i < kPage; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

// ADD_PAGES: before INIT and after CREATE (-EINVAL); the argument (-EFAULT), a
// page-aligned source and a good range (-EINVAL), the SECINFO (-EFAULT, then -EINVAL);
// then page by page: an offset already added (-EBUSY, xa_insert comes first), a source
// that is not mapped (-EFAULT), a TCS EADD refuses (-EIO). A page added is REG with the
// SECINFO's rights (mappable with them) or a TCS (no rights, mappable RW, with the
// execution state EADD clears). `count` is copied back once the checks pass.
inline IoctlOutcome add_pages(Build& b, const BuildPlan& plan, const AddArgs& a) {
  if (!b.created || b.initialized) return {err::kInval, 0, 0};
  if (a.bad_pointer) return {err::kFault, 0, 0};
  if (a.src_misaligned) return {err::kInval, 0, 0};
  Enclave shape;
  shape.size = plan.size;
  if (!range_ok(shape, a.offset, a.length)) return {err::kInval, 0, 0};
  if (!secinfo_acceptable(a.flags, a.secinfo_reserved)) return {err::kInval, 0, 0};
  IoctlOutcome o;
  for (; o.count < a.length; o.count += kPage) {
    const uint64_t offset = a.offset + o.count;
    const uint64_t source = a.source + o.count / kPage;
    if (b.pages.count(offset) != 0) return {build_err::kBusy, 0, o.count};
    if (a.src_unmapped) return {err::kFault, 0, o.count};
    const bool tcs = secinfo::type_of(a.flags) == pt::kTcs;
    if (tcs && !tcs_well_formed(plan.sources[source])) return {build_err::kIo, 0, o.count};
    Page p;
    p.type = tcs ? pt::kTcs : pt::kReg;
    p.rights = tcs ? 0 : uint8_t(a.flags & prot::kRwx);
    p.max_prot = tcs ? prot::kRw : p.rights;
    p.bytes = plan.sources[source];
    if (tcs) {
      p.set_word(0, 0);                                   // STATE
      p.bytes[8] &= 0xFE;                                 // FLAGS.DBGOPTIN
      p.set_word(24, p.word(24) & ~uint64_t(0xFFFFFFFF));  // CSSA
      p.set_word(40, 0);                                  // AEP
    }
    b.pages[offset] = p;
    b.added.push_back({offset, a.flags, source, a.measure});
  }
  return o;
}

// INIT as user space passes it: a pointer to nothing, a SIGSTRUCT whose vendor is
// neither 0 nor 0x8086, or the plan's SIGSTRUCT signed for the SECS with or without
// PROVISIONKEY (its attribute mask covers every bit).
// A SIGSTRUCT field that asks, through its mask, for a bit the platform reserves.
enum class ReservedAsked : uint8_t { kNone, kAttributes, kMiscselect, kXfrm };

struct InitArgs {
  bool bad_pointer = false;
  bool bad_vendor = false;
  bool provision_key = false;
  ReservedAsked reserved = ReservedAsked::kNone;
};

// INIT: after CREATE and before INIT (-EINVAL), the argument (-EFAULT), the vendor
// (-EINVAL); PROVISIONKEY without PROVISION (-EACCES); a reserved ATTRIBUTES,
// MISCSELECT or XFRM bit set in both the SIGSTRUCT's value and its mask (-EINVAL, Linux
// sgx_encl_init against sgx_attributes_reserved_mask and its kin); then EINIT succeeds if
// and only if the SIGSTRUCT's attributes are the SECS's and the enclave was built as
// signed (else -EPERM).
inline long init(Build& b, const BuildPlan& plan, const InitArgs& a) {
  if (!b.created || b.initialized) return err::kInval;
  if (a.bad_pointer) return err::kFault;
  if (a.bad_vendor) return err::kInval;
  if (b.provision_key && !b.provisioned) return err::kAccess;
  if (a.reserved != ReservedAsked::kNone) return err::kInval;
  if (a.provision_key != b.provision_key || b.added != plan.signed_for) return err::kPerm;
  b.initialized = true;
  return 0;
}

}  // namespace sgxref::model::uapi
