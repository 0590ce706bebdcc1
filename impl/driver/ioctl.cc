#include "driver/ioctl.h"

#include <cstring>
#include <memory>

#include "driver/driver.h"
#include "driver/encl.h"
#include "driver/encls.h"
#include "driver/main.h"
#include "driver/operands.h"
#include "hw/cpu.h"
#include "hw/crypto/sha256.h"
#include "kernel/errno.h"
#include "kernel/process.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/secs.h"
#include "uapi/sgx_ioctl.h"
#include "uapi/sigstruct.h"

namespace sgxref::driver {

using kernel::ENOIOCTLCMD;
using kernel::ERESTARTSYS;

namespace {

namespace sf = uapi::secinfo_flag;

constexpr uint64_t kPageSize = hw::kPageSize;
// SECINFO.FLAGS bits Linux lets ADD_PAGES pass: permissions and page type only.
constexpr uint64_t SGX_SECINFO_RESERVED_MASK = ~(sf::kPermMask | sf::kTypeMask);
// Where INIT puts the (zeroed) launch token: the second half of the SIGSTRUCT page.
constexpr uint64_t kTokenOffset = kPageSize / 2;
constexpr uint64_t kLaunchTokenSize = 304;
// EINIT's retry on SGX_UNMASKED_EVENT: rounds of spins, a sleep between rounds.
constexpr int SGX_EINIT_SLEEP_COUNT = 50;
constexpr int SGX_EINIT_SPIN_COUNT = 20;

bool is_power_of_2(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }
bool page_aligned(uint64_t v) { return (v & (kPageSize - 1)) == 0; }

bool kmalloc_fails(SgxDriver& d) {
  return d.kernel().faults().should_fail(kernel::FailPoint::kKmalloc);
}

int encl_create(SgxDriver& d, Encl& encl, const uapi::Secs& secs) {
  // ECREATE would refuse it too; checking first keeps the backing size from
  // overflowing.
  if (!is_power_of_2(secs.size)) return -EINVAL;
  Sgx& sgx = d.sgx();

  ErrPtr<VaPage> va_page = encl.grow(true);
  if (va_page.is_err()) return va_page.err();
  if (va_page.get() != nullptr) {
    sched::MutexLock l(encl.lock);
    encl.add_va_page(va_page.get());
  }

  // The extra page is the SECS's; the PCMDs follow, 128 bytes per page.
  const uint64_t encl_size = secs.size + kPageSize;
  encl.size = secs.size;
  encl.backing = std::make_unique<kernel::ShmemFile>(d.kernel().machine(), d.kernel().faults(),
                                                     encl_size + (encl_size >> 5));

  int ret = 0;
  ErrPtr<EpcPage> secs_epc = sgx.alloc_epc_page(&encl.secs, true);
  if (secs_epc.is_err()) {
    ret = secs_epc.err();
  } else {
    encl.secs.epc_page = secs_epc.get();
    const hw::PAddr contents = sgx.cpu_page();
    d.kernel().machine().write(contents, &secs, sizeof(secs));
    const hw::PAddr pginfo = put_pageinfo(sgx, 0, contents, put_secinfo(sgx, 0), 0);
    if (kernel::this_cpu().ecreate(pginfo, secs_epc->addr).succeeded()) {
      if (secs.attributes & uapi::attr::kDebug) encl.set_flag(SGX_ENCL_DEBUG);
      encl.base = secs.base;
      encl.attributes = secs.attributes;
      encl.attributes_mask = uapi::attr::kDebug | uapi::attr::kMode64Bit | uapi::attr::kKss |
                             uapi::attr::kAexNotify;
      // Last: the enclave lock was not taken, so CREATED publishes the fields above.
      encl.set_flag(SGX_ENCL_CREATED);
      return 0;
    }
    ret = -EIO;
    encl.free_epc_page(encl.secs.epc_page);
    encl.secs.epc_page = nullptr;
  }
  encl.backing.reset();
  encl.size = 0;
  sched::MutexLock l(encl.lock);
  encl.shrink(va_page.get());
  return ret;
}

long ioc_enclave_create(SgxDriver& d, Encl& encl, hw::LAddr arg) {
  if (encl.test_flag(SGX_ENCL_CREATED)) return -EINVAL;
  uapi::EnclaveCreate create_arg{};
  if (kernel::copy_from_user(&create_arg, arg, sizeof(create_arg)) != 0) return -EFAULT;
  if (kmalloc_fails(d)) return -ENOMEM;
  auto secs = std::make_unique<uapi::Secs>();
  if (kernel::copy_from_user(secs.get(), create_arg.src, kPageSize) != 0) return -EFAULT;
  return encl_create(d, encl, *secs);
}

int validate_secinfo(const uapi::SecInfo& secinfo) {
  const uint64_t perm = secinfo.flags & sf::kPermMask;
  const uint64_t pt = secinfo.flags & sf::kTypeMask;
  if (pt != sf::type(uapi::PageType::kReg) && pt != sf::type(uapi::PageType::kTcs)) {
    return -EINVAL;
  }
  if ((perm & sf::kW) && !(perm & sf::kR)) return -EINVAL;
  // The CPU zeroes a TCS's permissions silently, which the measurement would not show.
  if (pt == sf::type(uapi::PageType::kTcs) && perm) return -EINVAL;
  if (secinfo.flags & SGX_SECINFO_RESERVED_MASK) return -EINVAL;
  for (uint8_t b : secinfo.reserved) {
    if (b != 0) return -EINVAL;
  }
  return 0;
}

// __sgx_encl_add_page: EADD from the user page at `src`, which must be in a mapping that
// could be executable (no noexec mount).
int encl_add_page_leaf(SgxDriver& d, kernel::Mm& mm, Encl& encl, EnclPage& encl_page,
                       EpcPage* epc_page, const uapi::SecInfo& secinfo, hw::LAddr src)
    REQUIRES_SHARED(mm.mmap_lock) {
  const kernel::Vma* vma = mm.find_vma(src);
  if (vma == nullptr) return -EFAULT;
  if (!(vma->flags & kernel::VM_MAYEXEC)) return -EACCES;
  const hw::PAddr src_page = mm.get_user_page(src, false);
  if (src_page == 0) return -EFAULT;
  Sgx& sgx = d.sgx();
  const hw::PAddr pginfo = put_pageinfo(sgx, encl_page.desc, src_page, put_secinfo(sgx, secinfo),
                                        encl.secs.epc_page->addr);
  return kernel::this_cpu().eadd(pginfo, epc_page->addr).succeeded() ? 0 : -EIO;
}

// __sgx_encl_extend: EEXTEND of the page's 16 chunks of 256 bytes.
int encl_extend(Sgx& sgx, Encl& encl, EpcPage* epc_page) {
  for (uint64_t offset = 0; offset < kPageSize; offset += 256) {
    const hw::Result r = kernel::this_cpu().eextend(encl.secs.epc_page->addr, epc_page->addr + offset);
    if (!r.succeeded()) {
      if (encls_failed(r)) sgx.warn("EEXTEND");
      return -EIO;
    }
  }
  return 0;
}

// sgx_encl_add_page: everything that can fail for want of memory first, then under
// mmap_lock and the enclave lock the page's record is published before EADD, which
// cannot be undone.
int encl_add_page(SgxDriver& d, Encl& encl, hw::LAddr src, uint64_t offset,
                  const uapi::SecInfo& secinfo, uint64_t flags) {
  Sgx& sgx = d.sgx();
  ErrPtr<EnclPage> encl_page = encl_page_alloc(encl, offset, secinfo.flags);
  if (encl_page.is_err()) return encl_page.err();
  std::unique_ptr<EnclPage> owned(encl_page.get());

  ErrPtr<EpcPage> epc_page = sgx.alloc_epc_page(encl_page.get(), true);
  if (epc_page.is_err()) return epc_page.err();

  ErrPtr<VaPage> va_page = encl.grow(true);
  if (va_page.is_err()) {
    encl.free_epc_page(epc_page.get());
    return va_page.err();
  }

  kernel::Mm& mm = *kernel::current().mm();
  int ret = 0;
  {
    sched::ReaderLock mmap(mm.mmap_lock);
    sched::MutexLock l(encl.lock);
    if (va_page.get() != nullptr) encl.add_va_page(va_page.get());
    const uint64_t pfn = encl_page->desc >> hw::kPageShift;
    if (encl.page_array.count(pfn) != 0) {
      ret = -EBUSY;
    } else {
      EnclPage* page = owned.get();
      encl.page_array.emplace(pfn, std::move(owned));
      ret = encl_add_page_leaf(d, mm, encl, *page, epc_page.get(), secinfo, src);
      if (ret == 0) {
        page->epc_page = epc_page.get();
        page->type = uapi::PageType((secinfo.flags & sf::kTypeMask) >> sf::kTypeShift);
        ++encl.secs_child_cnt;
        if (flags & uapi::kPageMeasure) ret = encl_extend(sgx, encl, epc_page.get());
        if (ret == 0) {
          sgx.mark_page_reclaimable(epc_page.get());
          return 0;
        }
        // Linux leaves secs_child_cnt counting the page (reference section 6, 14).
        page->epc_page = nullptr;
      }
      owned = std::move(encl.page_array[pfn]);
      encl.page_array.erase(pfn);
    }
    encl.shrink(va_page.get());
  }
  encl.free_epc_page(epc_page.get());
  return ret;
}

long ioc_enclave_add_pages(SgxDriver& d, Encl& encl, hw::LAddr arg) {
  if (!encl.test_flag(SGX_ENCL_CREATED) || encl.test_flag(SGX_ENCL_INITIALIZED)) return -EINVAL;
  uapi::EnclaveAddPages add_arg{};
  if (kernel::copy_from_user(&add_arg, arg, sizeof(add_arg)) != 0) return -EFAULT;
  if (!page_aligned(add_arg.src)) return -EINVAL;
  if (validate_offset_length(encl, add_arg.offset, add_arg.length) != 0) return -EINVAL;
  uapi::SecInfo secinfo{};
  if (kernel::copy_from_user(&secinfo, add_arg.secinfo, sizeof(secinfo)) != 0) return -EFAULT;
  if (validate_secinfo(secinfo) != 0) return -EINVAL;

  long ret = 0;
  uint64_t c = 0;
  for (; c < add_arg.length; c += kPageSize) {
    // A signal stops the call; only before the first page is that an error.
    if (kernel::current().signal_pending()) {
      if (c == 0) ret = -ERESTARTSYS;
      break;
    }
    sched::point("sgx_ioc_enclave_add_pages.cond_resched");
    ret = encl_add_page(d, encl, add_arg.src + c, add_arg.offset + c, secinfo, add_arg.flags);
    if (ret != 0) break;
  }
  add_arg.count = c;
  if (kernel::copy_to_user(arg, &add_arg, sizeof(add_arg)) != 0) return -EFAULT;
  return ret;
}

// sgx_encl_init: the SIGSTRUCT's requests against what this enclave may have, then
// EINIT with the launch-key hash MSRs set to its signer, retried while an interrupt
// makes it give up (SGX_UNMASKED_EVENT).
int encl_init(SgxDriver& d, Encl& encl, const uint8_t* page) {
  uapi::SigStruct sigstruct;
  std::memcpy(&sigstruct, page, sizeof(sigstruct));
  if (encl.attributes & ~encl.attributes_mask) return -EACCES;
  if (sigstruct.body.attributes & sigstruct.body.attributes_mask & d.attributes_reserved_mask()) {
    return -EINVAL;
  }
  if (sigstruct.body.miscselect & sigstruct.body.misc_mask & d.misc_reserved_mask()) {
    return -EINVAL;
  }
  if (sigstruct.body.xfrm & sigstruct.body.xfrm_mask & d.xfrm_reserved_mask()) return -EINVAL;
  const hw::Digest mrsigner = hw::Sha256::of(sigstruct.modulus, sizeof(sigstruct.modulus));

  Sgx& sgx = d.sgx();
  sched::MutexLock l(encl.lock);
  const hw::PAddr sig = sgx.cpu_page();
  d.kernel().machine().write(sig, page, kPageSize);
  hw::Result r;
  for (int i = 0; i < SGX_EINIT_SLEEP_COUNT; ++i) {
    for (int j = 0; j < SGX_EINIT_SPIN_COUNT; ++j) {
      hw::Cpu& cpu = kernel::this_cpu();
      cpu.write_lepubkeyhash(mrsigner);
      r = cpu.einit(sig, encl.secs.epc_page->addr, sig + kTokenOffset);
      if (!encls_returned_code(r, hw::SgxCode::kUnmaskedEvent)) break;
    }
    if (!encls_returned_code(r, hw::SgxCode::kUnmaskedEvent)) break;
    sched::point("sgx_encl_init.msleep");
    if (kernel::current().signal_pending()) return -ERESTARTSYS;
  }
  if (encls_faulted(r)) {
    if (encls_failed(r)) sgx.warn("EINIT");
    return -EIO;
  }
  if (!r.succeeded()) return -EPERM;
  encl.set_flag(SGX_ENCL_INITIALIZED);
  return 0;
}

long ioc_enclave_init(SgxDriver& d, Encl& encl, hw::LAddr arg) {
  if (!encl.test_flag(SGX_ENCL_CREATED) || encl.test_flag(SGX_ENCL_INITIALIZED)) return -EINVAL;
  uapi::EnclaveInit init_arg{};
  if (kernel::copy_from_user(&init_arg, arg, sizeof(init_arg)) != 0) return -EFAULT;
  if (kmalloc_fails(d)) return -ENOMEM;
  // One page: the SIGSTRUCT at its start (page-aligned), the zeroed token at 2048
  // (512-aligned), as Linux's kmalloc(PAGE_SIZE) gives.
  auto page = std::make_unique<uint8_t[]>(kPageSize);
  std::memset(page.get() + kTokenOffset, 0, kLaunchTokenSize);
  if (kernel::copy_from_user(page.get(), init_arg.sigstruct, sizeof(uapi::SigStruct)) != 0) {
    return -EFAULT;
  }
  uapi::SigStructHeader header;
  std::memcpy(&header, page.get(), sizeof(header));
  // Legacy vendor values the CPU accepts and nothing else means anything.
  if (header.vendor != 0x0000 && header.vendor != uapi::kSigStructVendorIntel) return -EINVAL;
  return encl_init(d, encl, page.get());
}

// sgx_ioc_enclave_provision: an open /dev/sgx_provision lets the enclave have
// PROVISIONKEY.
long ioc_enclave_provision(SgxDriver& d, Encl& encl, hw::LAddr arg) {
  uapi::EnclaveProvision params{};
  if (kernel::copy_from_user(&params, arg, sizeof(params)) != 0) return -EFAULT;
  // fget takes the low 32 bits as an unsigned descriptor.
  const auto fd = uint32_t(params.fd);
  kernel::FileRef file =
      fd > uint32_t(INT32_MAX) ? nullptr : kernel::current().process()->file(int(fd));
  if (!file || !d.is_provision_file(*file)) return -EINVAL;
  encl.attributes_mask |= uapi::attr::kProvisionKey;
  return 0;
}

}  // namespace

int validate_offset_length(const Encl& encl, uint64_t offset, uint64_t length) {
  if (!page_aligned(offset)) return -EINVAL;
  if (length == 0 || !page_aligned(length)) return -EINVAL;
  if (offset + length < offset) return -EINVAL;
  if (offset + length - kPageSize >= encl.size) return -EINVAL;
  return 0;
}

long sgx_ioctl(SgxDriver& d, Encl& encl, unsigned int cmd, hw::LAddr arg) {
  if (encl.test_and_set_flag(SGX_ENCL_IOCTL)) return -EBUSY;
  long ret = 0;
  switch (cmd) {
    case uapi::ioctl::kEnclaveCreate:
      ret = ioc_enclave_create(d, encl, arg);
      break;
    case uapi::ioctl::kEnclaveAddPages:
      ret = ioc_enclave_add_pages(d, encl, arg);
      break;
    case uapi::ioctl::kEnclaveInit:
      ret = ioc_enclave_init(d, encl, arg);
      break;
    case uapi::ioctl::kEnclaveProvision:
      ret = ioc_enclave_provision(d, encl, arg);
      break;
    case uapi::ioctl::kEnclaveRestrictPermissions:
      ret = ioc_enclave_restrict_permissions(d, encl, arg);
      break;
    case uapi::ioctl::kEnclaveModifyTypes:
      ret = ioc_enclave_modify_types(d, encl, arg);
      break;
    case uapi::ioctl::kEnclaveRemovePages:
      ret = ioc_enclave_remove_pages(d, encl, arg);
      break;
    case uapi::ioctl::kEnclaveAugmentPages:
      // Not Linux: there only with the design alternative that replaces EAUG on fault.
      if (d.alternatives().eaug_via == Alternatives::EaugVia::kIoctl) {
        ret = ioc_enclave_augment_pages(d, encl, arg);
      } else {
        ret = -ENOIOCTLCMD;
      }
      break;
    default:
      ret = -ENOIOCTLCMD;
      break;
  }
  encl.clear_flag(SGX_ENCL_IOCTL);
  return ret;
}

}  // namespace sgxref::driver
