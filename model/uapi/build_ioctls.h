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

#include "uapi/enclave_state.h"
#include "uapi/sgx2_ioctls.h"

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
  std::map<uint64_t, Page> pages;  // by offset
  std::vector<AddedPage> added;    // every EADD so far, in order
};

// How a CREATE's SECS is wrong, if it is.
enum class SecsFault : uint8_t { kNone, kBadPointer, kSizeNotPowerOfTwo, kBaseMisaligned };

// CREATE: once only (-EINVAL); the SECS copied in (-EFAULT); a size that is not a power
// of two is -EINVAL before ECREATE; ECREATE refusing the SECS (a base not aligned to
// the size) is -EIO. Only success changes anything.
inline long create(Build& b, SecsFault f) {
  if (b.created) return err::kInval;
  if (f == SecsFault::kBadPointer) return err::kFault;
  if (f == SecsFault::kSizeNotPowerOfTwo) return err::kInval;
  if (f == SecsFault::kBaseMisaligned) return build_err::kIo;
  b.created = true;
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
// that is not mapped (-EFAULT), a TCS EADD refuses (-EIO). A page added is REG with the SECINFO's rights
// (mappable with them) or a TCS (no rights, mappable RW, with the execution state EADD
// clears). `count` is copied back once the checks pass.
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

// INIT: after CREATE and before INIT (-EINVAL), the argument (-EFAULT); EINIT succeeds
// if and only if the enclave was built as its SIGSTRUCT was signed for (else -EPERM).
inline long init(Build& b, const BuildPlan& plan, bool bad_pointer) {
  if (!b.created || b.initialized) return err::kInval;
  if (bad_pointer) return err::kFault;
  if (b.added != plan.signed_for) return err::kPerm;
  b.initialized = true;
  return 0;
}

}  // namespace sgxref::model::uapi
