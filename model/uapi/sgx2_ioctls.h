// File: the SGX2 ioctls of /dev/sgx_enclave as user space sees them (Linux ioctl.c,
// sgx_ioc_enclave_restrict_permissions, _modify_types, _remove_pages): the checks of the
// argument, in Linux's order, refuse with nothing changed and nothing copied back; then
// the range is walked a page at a time, and the first page that fails stops the walk
// with `count` the bytes done before it and, when a leaf refused the page, `result` its
// SGX code. The struct is copied back whatever the walk returned.
//
// Some answers depend on what runs beside the call, so they are allowed outcomes rather
// than the model's own: -EBUSY while another ioctl holds the enclave (`busy`), and the
// answers at a page of the range the reclaimer holds (`Held`; none unless the caller
// names one, which it may only do while reclaim ran).
#pragma once

#include <cstdint>

#include "enclave_state.h"

namespace sgxref::model::uapi {

// The argument as user space filled it (`mode` is RESTRICT's permissions or MODIFY's
// page type; REMOVE has neither, nor `result`), and whether its pointer is good.
struct Sgx2Args {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t mode = 0;
  uint64_t result = 0;
  uint64_t count = 0;
  bool bad_pointer = false;
};

// The return value, and `result` and `count` as user space reads them afterwards.
struct IoctlOutcome {
  long ret = 0;
  uint64_t result = 0;
  uint64_t count = 0;
  bool operator==(const IoctlOutcome&) const = default;
};

// sgx_ioctl's SGX_ENCL_IOCTL bit, tested before anything else: nothing done, the struct
// neither read nor copied back.
inline IoctlOutcome busy(const Sgx2Args& a) { return {err::kBusy, a.result, a.count}; }

// The page at byte `at` of the range, in the reclaimer's batch. Once the reclaimer has
// marked it as being reclaimed, sgx_encl_load_page answers -EBUSY and the walk stops
// with -EAGAIN; before that (it is only off the LRU) the load goes through, and a step
// that takes the page off the LRU itself fails: REMOVE_PAGES's -EBUSY, and -EAGAIN for
// MODIFY_TYPES to TCS.
struct Held {
  uint64_t at = ~uint64_t(0);
  bool marked = true;
};

// sgx_validate_offset_length.
inline bool range_ok(const Enclave& e, uint64_t offset, uint64_t length) {
  if (offset % kPage != 0 || length == 0 || length % kPage != 0) return false;
  if (offset + length < offset) return false;
  return offset + length - kPage < e.size;
}

// What the argument checks leave: 0, or the refusal (the struct untouched).
inline long checked(const Enclave& e, const Sgx2Args& a, bool mode_ok, bool has_result) {
  if (a.bad_pointer) return err::kFault;
  if (!range_ok(e, a.offset, a.length) || !mode_ok) return err::kInval;
  if ((has_result && a.result != 0) || a.count != 0) return err::kInval;
  return 0;
}

// RESTRICT_PERMISSIONS: each page must exist (-EFAULT) and be REG (-EINVAL); EMODPR
// refuses a PENDING or MODIFIED page (SGX_PAGE_NOT_MODIFIABLE, -EFAULT); otherwise the
// rights become their intersection with the request and PR is set. The ETRACK flow
// that follows each page is invisible here: it only makes the next EACCEPT possible.
inline IoctlOutcome restrict_permissions(Enclave& e, const Sgx2Args& a, Held held = {}) {
  const bool mode_ok = (a.mode & ~uint64_t(prot::kRwx)) == 0 &&
                       !((a.mode & prot::kW) && !(a.mode & prot::kR));
  if (long ret = checked(e, a, mode_ok, true); ret != 0) return {ret, a.result, a.count};
  IoctlOutcome o;
  for (; o.count < a.length; o.count += kPage) {
    const auto it = e.pages.find(a.offset + o.count);
    if (it == e.pages.end()) return {err::kFault, 0, o.count};
    if (o.count == held.at && held.marked) return {err::kAgain, 0, o.count};
    Page& p = it->second;
    if (p.type != pt::kReg) return {err::kInval, 0, o.count};
    if (p.pending || p.modified) return {err::kFault, uint64_t(sgx::kPageNotModifiable), o.count};
    p.rights &= uint8_t(a.mode);
    p.pr = true;
  }
  return o;
}

// MODIFY_TYPES to TCS or TRIM (another type: -EINVAL after the checks, the struct copied
// back). A page must exist (-EFAULT) and go REG to TCS, REG to TRIM or TCS to TRIM
// (-EINVAL). REG to TCS needs a page that may be mapped RW (-EPERM). EMODT refuses a
// PENDING or MODIFIED page (SGX_PAGE_NOT_MODIFIABLE, -EFAULT); otherwise the page takes
// the type with no rights, MODIFIED until the enclave accepts it, PR cleared, and a new
// TCS may from then on be mapped RW only.
inline IoctlOutcome modify_types(Enclave& e, const Sgx2Args& a, Held held = {}) {
  if (long ret = checked(e, a, (a.mode & ~uint64_t(0xFF)) == 0, true); ret != 0) {
    return {ret, a.result, a.count};
  }
  const int64_t to = int64_t(a.mode);
  if (to != pt::kTcs && to != pt::kTrim) return {err::kInval, 0, 0};
  IoctlOutcome o;
  for (; o.count < a.length; o.count += kPage) {
    const auto it = e.pages.find(a.offset + o.count);
    if (it == e.pages.end()) return {err::kFault, 0, o.count};
    if (o.count == held.at && held.marked) return {err::kAgain, 0, o.count};
    Page& p = it->second;
    if (!(p.type == pt::kReg || (p.type == pt::kTcs && to == pt::kTrim))) {
      return {err::kInval, 0, o.count};
    }
    const bool to_tcs = p.type == pt::kReg && to == pt::kTcs;
    if (to_tcs && (p.max_prot & prot::kRw) != prot::kRw) return {err::kPerm, 0, o.count};
    if (to_tcs && o.count == held.at) return {err::kAgain, 0, o.count};
    if (p.pending || p.modified) return {err::kFault, uint64_t(sgx::kPageNotModifiable), o.count};
    if (to_tcs) p.max_prot = prot::kRw;
    p.type = to;
    p.rights = 0;
    p.modified = true;
    p.pr = false;
  }
  return o;
}

// REMOVE_PAGES: each page must exist (-EFAULT) and be a TRIM page the enclave has
// accepted (-EPERM otherwise, found by Linux's EMODPR probe); then it is gone, and the
// offset is a hole again.
inline IoctlOutcome remove_pages(Enclave& e, const Sgx2Args& a, Held held = {}) {
  if (long ret = checked(e, a, true, false); ret != 0) return {ret, 0, a.count};
  IoctlOutcome o;
  for (; o.count < a.length; o.count += kPage) {
    const auto it = e.pages.find(a.offset + o.count);
    if (it == e.pages.end()) return {err::kFault, 0, o.count};
    if (o.count == held.at && held.marked) return {err::kAgain, 0, o.count};
    if (it->second.type != pt::kTrim || it->second.modified) return {err::kPerm, 0, o.count};
    if (o.count == held.at) return {err::kBusy, 0, o.count};
    e.pages.erase(it);
  }
  return o;
}

}  // namespace sgxref::model::uapi
