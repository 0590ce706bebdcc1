// The SGX2 ioctls of /dev/sgx_enclave (Linux's ioctl.c, from sgx_ioc_sgx2_ready to
// sgx_ioc_enclave_remove_pages; split out here for size). Each walks its range a page at
// a time: direct reclaim, the enclave mutex, the page loaded (ELDU, the SECS first), the
// leaf, the ETRACK flow where old rights or types may be cached, the mutex dropped. On
// an error `count` says how many bytes were done, and `result` holds the SGX code of a
// leaf that refused a page. Plus AUGMENT_PAGES, a design alternative that is not Linux.
#include <memory>

#include "driver/alternatives.h"
#include "driver/driver.h"
#include "driver/encl.h"
#include "driver/encls.h"
#include "driver/ioctl.h"
#include "driver/main.h"
#include "driver/operands.h"
#include "hw/cpu.h"
#include "kernel/errno.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/sgx_ioctl.h"

namespace sgxref::driver {

namespace {

namespace sf = uapi::secinfo_flag;
constexpr uint64_t kPageSize = hw::kPageSize;
// SGX_PAGE_TYPE_MASK: the bits of a page type MODIFY_TYPES accepts.
constexpr uint64_t SGX_PAGE_TYPE_MASK = 0xFF;

// sgx_ioc_sgx2_ready: the CPU has SGX2 and the enclave is initialized.
int sgx2_ready(SgxDriver& d, const Encl& encl) {
  if (!d.kernel().machine().config().sgx2) return -ENODEV;
  if (!encl.test_flag(SGX_ENCL_INITIALIZED)) return -EINVAL;
  return 0;
}

// What sgx_encl_load_page's error becomes in these ioctls: the reclaimer writing the
// page out is worth a retry (-EAGAIN), anything else is -EFAULT.
int load_error(int err) { return err == -EBUSY ? -EAGAIN : -EFAULT; }

// sgx_enclave_etrack: ETRACK; if it refuses (a CPU from the previous ETRACK is still
// inside), kick the enclave's CPUs out and try once more. Then the IPI that makes every
// CPU inside at this ETRACK leave, so the tracking it started completes. The mask is
// taken after the ETRACK, so an address space added meanwhile enters tracked.
int enclave_etrack(Encl& encl) REQUIRES(encl.lock) {
  // WARN_ON: every caller has loaded the SECS; a leaf on an evicted one is our own bug.
  if (encl.secs.epc_page == nullptr) {
    encl.sgx().warn("ETRACK on an evicted SECS");
    return -EFAULT;
  }
  kernel::Kernel& k = encl.sgx().kernel();
  const hw::PAddr secs = encl.secs.epc_page->addr;
  if (!kernel::this_cpu().etrack(secs).succeeded()) {
    k.ipi_mask(encl.cpumask());
    if (!kernel::this_cpu().etrack(secs).succeeded()) return -EFAULT;
  }
  k.ipi_mask(encl.cpumask());
  return 0;
}

// The ETRACK flow of restrict.etrack=batched, once after the range. The mutex was
// dropped since the last EMODPR, so the SECS may have followed its children out.
int batched_etrack(Encl& encl) REQUIRES(encl.lock) {
  if (encl.load_secs() != 0) return -EFAULT;
  return enclave_etrack(encl);
}

// One page of sgx_enclave_restrict_permissions: EMODPR of a REG page to `perms`, then
// (restrict.etrack=per-page) the ETRACK flow. Neither vm_max_prot_bits nor the PTEs
// change: the enclave still has to EACCEPT the restriction.
int restrict_page(Encl& encl, hw::LAddr addr, uint64_t perms, bool etrack, uint64_t& result)
    REQUIRES(encl.lock) {
  ErrPtr<EnclPage> entry = encl.load_page(addr);
  if (entry.is_err()) return load_error(entry.err());
  // EMODPR would #PF on a TCS or TRIM page.
  if (entry->type != uapi::PageType::kReg) return -EINVAL;
  const hw::PAddr secinfo = put_secinfo(encl.sgx(), perms);
  const hw::Result r = kernel::this_cpu().emodpr(secinfo, entry->epc_page->addr);
  // A fault means our own checks let something through (Linux prints it once).
  if (encls_faulted(r)) return -EFAULT;
  if (!r.succeeded()) {
    result = uint64_t(r.code);
    return -EFAULT;
  }
  if (etrack && enclave_etrack(encl) != 0) return -EFAULT;
  return 0;
}

// sgx_enclave_restrict_permissions, with the alternatives restrict.lock and
// restrict.etrack. Holding the mutex over the whole range keeps the reclaimer (which
// takes it to write pages out) away, so direct reclaim runs once before the range
// instead of before each page.
long enclave_restrict_permissions(Encl& encl, uapi::EnclaveRestrictPermissions& modp) {
  const Alternatives& alt = encl.alternatives();
  const bool per_page_etrack = alt.restrict_etrack == Alternatives::RestrictEtrack::kPerPage;
  const uint64_t perms = modp.permissions & sf::kPermMask;
  Sgx& sgx = encl.sgx();
  long ret = 0;
  uint64_t c = 0;
  if (alt.restrict_lock == Alternatives::RestrictLock::kWholeRange) {
    sgx.reclaim_direct();
    sched::MutexLock l(encl.lock);
    for (; c < modp.length; c += kPageSize) {
      ret = restrict_page(encl, encl.base + modp.offset + c, perms, per_page_etrack, modp.result);
      if (ret != 0) break;
    }
    // Pages already restricted are owed their ETRACK even when a later page failed.
    if (!per_page_etrack && c > 0 && batched_etrack(encl) != 0) ret = -EFAULT;
  } else {
    for (; c < modp.length; c += kPageSize) {
      sgx.reclaim_direct();
      sched::MutexLock l(encl.lock);
      ret = restrict_page(encl, encl.base + modp.offset + c, perms, per_page_etrack, modp.result);
      if (ret != 0) break;
    }
    if (!per_page_etrack && c > 0) {
      sched::MutexLock l(encl.lock);
      if (batched_etrack(encl) != 0) ret = -EFAULT;
    }
  }
  modp.count = c;
  return ret;
}

// One page of sgx_enclave_modify_types: REG to TCS or TRIM, TCS to TRIM. A REG page
// becoming a TCS must have been mappable RW; from now on it may be mapped RW only, and
// its PTEs go (the mutex dropped for mmap_lock, the page off the LRU meanwhile). Then
// EMODT and the ETRACK flow. max_prot is put back if EMODT did not happen.
int modify_type_page(Encl& encl, hw::LAddr addr, uapi::PageType page_type, uint64_t& result)
    REQUIRES(encl.lock) {
  Sgx& sgx = encl.sgx();
  ErrPtr<EnclPage> entry = encl.load_page(addr);
  if (entry.is_err()) return load_error(entry.err());
  // The SDM's transitions; CET pages are not supported.
  if (!(entry->type == uapi::PageType::kReg ||
        (entry->type == uapi::PageType::kTcs && page_type == uapi::PageType::kTrim))) {
    return -EINVAL;
  }
  const uint64_t max_prot_restore = entry->vm_max_prot_bits;
  if (entry->type == uapi::PageType::kReg && page_type == uapi::PageType::kTcs) {
    if (~entry->vm_max_prot_bits & (kernel::VM_READ | kernel::VM_WRITE)) return -EPERM;
    entry->vm_max_prot_bits = kernel::VM_READ | kernel::VM_WRITE;
    if (sgx.unmark_page_reclaimable(entry->epc_page) != 0) {
      entry->vm_max_prot_bits = max_prot_restore;
      return -EAGAIN;
    }
    encl.lock.unlock();
    encl.zap_enclave_ptes(addr);
    encl.lock.lock();
    sgx.mark_page_reclaimable(entry->epc_page);
  }
  const hw::PAddr secinfo = put_secinfo(sgx, sf::type(page_type));
  const hw::Result r = kernel::this_cpu().emodt(secinfo, entry->epc_page->addr);
  if (!r.succeeded()) {
    if (!encls_faulted(r)) result = uint64_t(r.code);
    entry->vm_max_prot_bits = max_prot_restore;
    return -EFAULT;
  }
  // As Linux: EMODT happened, so max_prot stays even if the ETRACK flow fails.
  if (enclave_etrack(encl) != 0) return -EFAULT;
  entry->type = page_type;
  return 0;
}

// sgx_enclave_modify_types
long enclave_modify_types(Encl& encl, uapi::EnclaveModifyTypes& modt) {
  const uint64_t page_type = modt.page_type & SGX_PAGE_TYPE_MASK;
  // The only types EMODT can give.
  if (page_type != uint64_t(uapi::PageType::kTcs) && page_type != uint64_t(uapi::PageType::kTrim)) {
    return -EINVAL;
  }
  long ret = 0;
  uint64_t c = 0;
  for (; c < modt.length; c += kPageSize) {
    encl.sgx().reclaim_direct();
    sched::MutexLock l(encl.lock);
    ret = modify_type_page(encl, encl.base + modt.offset + c, uapi::PageType(page_type),
                           modt.result);
    if (ret != 0) break;
  }
  modt.count = c;
  return ret;
}

// One page of sgx_encl_remove_pages: only a TRIM page the enclave has accepted. EMODPR
// tells which: on a trimmed page not yet accepted it answers SGX_PAGE_NOT_MODIFIABLE, on
// an accepted one it takes a #PF (the page is no longer REG); anything else is -EPERM.
// Then off the LRU, PTEs zapped without the mutex, EREMOVE, and the record gone. VA
// pages stay: the enclave may keep more than it needs.
int remove_page(Encl& encl, hw::LAddr addr) REQUIRES(encl.lock) {
  Sgx& sgx = encl.sgx();
  ErrPtr<EnclPage> entry = encl.load_page(addr);
  if (entry.is_err()) return load_error(entry.err());
  if (entry->type != uapi::PageType::kTrim) return -EPERM;
  const hw::PAddr secinfo = put_secinfo(sgx, sf::kR | sf::kW | sf::kX);
  const hw::Result r = kernel::this_cpu().emodpr(secinfo, entry->epc_page->addr);
  if (!encls_faulted(r) || r.fault.vector != hw::Vector::kPF) return -EPERM;
  if (sgx.unmark_page_reclaimable(entry->epc_page) != 0) return -EBUSY;
  encl.lock.unlock();
  encl.zap_enclave_ptes(addr);
  encl.lock.lock();
  encl.free_epc_page(entry->epc_page);
  --encl.secs_child_cnt;
  entry->epc_page = nullptr;
  encl.page_array.erase(entry->desc >> hw::kPageShift);
  encl.shrink(nullptr);
  return 0;
}

// sgx_encl_remove_pages
long encl_remove_pages(Encl& encl, uapi::EnclaveRemovePages& params) {
  long ret = 0;
  uint64_t c = 0;
  for (; c < params.length; c += kPageSize) {
    encl.sgx().reclaim_direct();
    sched::MutexLock l(encl.lock);
    ret = remove_page(encl, encl.base + params.offset + c);
    if (ret != 0) break;
  }
  params.count = c;
  return ret;
}

// AUGMENT_PAGES (not Linux): sgx_encl_eaug_page's work for each page of the range, with
// no mapping made; the enclave EACCEPTs the PENDING pages, and a fault maps them.
long encl_augment_pages(Encl& encl, uapi::EnclaveAugmentPages& params) {
  long ret = 0;
  uint64_t c = 0;
  for (; c < params.length; c += kPageSize) {
    encl.sgx().reclaim_direct();
    ErrPtr<EnclPage> page = encl_page_alloc(encl, params.offset + c, sf::kR | sf::kW | sf::kX);
    if (page.is_err()) {
      ret = page.err();
      break;
    }
    std::unique_ptr<EnclPage> owned(page.get());
    sched::MutexLock l(encl.lock);
    ret = encl.eaug_page(owned);
    if (ret == -EBUSY) ret = -EAGAIN;
    if (ret != 0) break;
  }
  params.count = c;
  return ret;
}

// The copy in, the checks common to the SGX2 handlers, the flow, the copy out: the
// shape of each sgx_ioc_enclave_* handler. `check` adds the handler's own argument
// checks (-EINVAL when it refuses).
template <typename Params, typename Check, typename Flow>
long sgx2_ioctl(SgxDriver& d, Encl& encl, hw::LAddr arg, Check check, Flow flow) {
  if (int ret = sgx2_ready(d, encl); ret != 0) return ret;
  Params params{};
  if (kernel::copy_from_user(&params, arg, sizeof(params)) != 0) return -EFAULT;
  if (validate_offset_length(encl, params.offset, params.length) != 0) return -EINVAL;
  if (!check(params)) return -EINVAL;
  const long ret = flow(encl, params);
  if (kernel::copy_to_user(arg, &params, sizeof(params)) != 0) return -EFAULT;
  return ret;
}

}  // namespace

// sgx_ioc_enclave_restrict_permissions: RWX bits only, never W without R (EMODPR would
// fault on it), `result` and `count` zero on the way in.
long ioc_enclave_restrict_permissions(SgxDriver& d, Encl& encl, hw::LAddr arg) {
  using P = uapi::EnclaveRestrictPermissions;
  return sgx2_ioctl<P>(
      d, encl, arg,
      [](const P& p) {
        if (p.permissions & ~sf::kPermMask) return false;
        if ((p.permissions & sf::kW) && !(p.permissions & sf::kR)) return false;
        return p.result == 0 && p.count == 0;
      },
      enclave_restrict_permissions);
}

// sgx_ioc_enclave_modify_types: a page type of 8 bits, `result` and `count` zero.
long ioc_enclave_modify_types(SgxDriver& d, Encl& encl, hw::LAddr arg) {
  using P = uapi::EnclaveModifyTypes;
  return sgx2_ioctl<P>(
      d, encl, arg,
      [](const P& p) {
        if (p.page_type & ~SGX_PAGE_TYPE_MASK) return false;
        return p.result == 0 && p.count == 0;
      },
      enclave_modify_types);
}

// sgx_ioc_enclave_remove_pages: `count` zero on the way in.
long ioc_enclave_remove_pages(SgxDriver& d, Encl& encl, hw::LAddr arg) {
  using P = uapi::EnclaveRemovePages;
  return sgx2_ioctl<P>(d, encl, arg, [](const P& p) { return p.count == 0; }, encl_remove_pages);
}

long ioc_enclave_augment_pages(SgxDriver& d, Encl& encl, hw::LAddr arg) {
  using P = uapi::EnclaveAugmentPages;
  return sgx2_ioctl<P>(d, encl, arg, [](const P& p) { return p.count == 0; }, encl_augment_pages);
}

}  // namespace sgxref::driver
