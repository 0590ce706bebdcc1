#include "driver/vm_ops.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "driver/encl.h"
#include "driver/main.h"
#include "hw/cpu.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/task.h"
#include "kernel/vm_flags.h"
#include "uapi/secinfo.h"

namespace sgxref::driver {

namespace {

Encl* encl_of(const kernel::Vma& vma) { return static_cast<Encl*>(vma.private_data); }

// Whether page_array has no page at `addr`. Linux reads the xarray locklessly (xa_load);
// our map needs the lock, taken only for the look-up, so the window in which another
// flow may add the page before the EAUG path takes the lock stays open as in Linux.
bool no_page_at(Encl& encl, hw::LAddr addr) {
  sched::MutexLock l(encl.lock);
  return encl.page_array.count(addr >> hw::kPageShift) == 0;
}

// sgx_encl_eaug_page: a fault on an address of ELRANGE with no page gets a fresh PENDING
// page, which the enclave may use once it EACCEPTs it. Dynamic pages are not measured,
// so their maximum protection is RWX: the enclave itself sets their EPCM rights.
// Running out of EPC without reclaim (the mutex is held) retries the fault once ksgxd
// has made room (NOPAGE, as 81fa6fd13b5c made it for the VA page too); losing the race
// to another flow adding the same page is SIGBUS, as Linux answers it.
kernel::VmFault eaug_page(kernel::Vma& vma, Encl& encl, hw::LAddr addr)
    REQUIRES_SHARED(vma.mm->mmap_lock) {
  namespace sf = uapi::secinfo_flag;
  if (!encl.test_flag(SGX_ENCL_INITIALIZED)) return kernel::VmFault::kSigbus;
  ErrPtr<EnclPage> page = encl_page_alloc(encl, addr - encl.base, sf::kR | sf::kW | sf::kX);
  if (page.is_err()) return kernel::VmFault::kOom;
  std::unique_ptr<EnclPage> encl_page(page.get());

  sched::MutexLock l(encl.lock);
  const int ret = encl.eaug_page(encl_page);
  if (ret == -EBUSY) return kernel::VmFault::kNoPage;
  if (ret != 0) return kernel::VmFault::kSigbus;
  // The page stays if the PTE cannot be made: the next fault maps it.
  const hw::PAddr pa = encl.page_array.at(addr >> hw::kPageShift)->epc_page->addr;
  if (vma.mm->insert_pfn(vma, addr, pa) != kernel::VmFault::kNoPage) {
    return kernel::VmFault::kSigbus;
  }
  return kernel::VmFault::kNoPage;
}

class SgxVmOps : public kernel::VmOps {
 public:
  // sgx_vma_open: the copy's address space joins the enclave's list; if it cannot, the
  // copy loses its enclave and faults there are SIGBUS.
  void open(kernel::Vma& vma) override {
    Encl* encl = encl_of(vma);
    if (encl == nullptr) return;
    if (encl->mm_add(*vma.mm) != 0) vma.private_data = nullptr;
  }

  // sgx_vma_fault
  kernel::VmFault fault(kernel::Vma& vma, hw::LAddr addr, bool /*write*/) override {
    vma.mm->mmap_lock.assert_held_shared();
    Encl* encl = encl_of(vma);
    if (encl == nullptr) return kernel::VmFault::kSigbus;
    // With eaug.via=ioctl (not Linux) only the ioctl adds pages; the fault is SGX1's.
    if (encl->sgx().kernel().machine().config().sgx2 &&
        encl->alternatives().eaug_via == Alternatives::EaugVia::kFault &&
        no_page_at(*encl, addr)) {
      return eaug_page(vma, *encl, addr);
    }
    sched::MutexLock l(encl->lock);
    ErrPtr<EnclPage> entry = encl->load_page_in_vma(addr, vma.flags);
    if (entry.is_err()) {
      // ksgxd is writing the page out: the access will fault again and reload it.
      if (entry.err() == -EBUSY) return kernel::VmFault::kNoPage;
      return kernel::VmFault::kSigbus;
    }
    const kernel::VmFault ret = vma.mm->insert_pfn(vma, addr, entry->epc_page->addr);
    if (ret != kernel::VmFault::kNoPage) return kernel::VmFault::kSigbus;
    // The fault was the access: leave the page young only if it is touched again.
    encl->test_and_clear_young(*vma.mm, *entry.get());
    return kernel::VmFault::kNoPage;
  }

  int may_mprotect(kernel::Vma& vma, hw::LAddr start, hw::LAddr end, uint64_t newflags) override {
    Encl* encl = encl_of(vma);
    if (encl == nullptr) return -EACCES;
    return encl->may_map(start, end, newflags);
  }

  // sgx_vma_access: 8 bytes at a time through EDBGRD (and EDBGWR for a write), for
  // debug enclaves only.
  int access(kernel::Vma& vma, hw::LAddr addr, void* buf, int len, bool write) override {
    Encl* encl = encl_of(vma);
    if (encl == nullptr || !encl->test_flag(SGX_ENCL_DEBUG)) return -EFAULT;
    auto* bytes = static_cast<uint8_t*>(buf);
    int i = 0;
    int ret = 0;
    for (int cnt = 0; i < len; i += cnt) {
      const hw::LAddr at = addr + uint64_t(i);
      const uint64_t offset = at & 7;
      cnt = int(std::min<uint64_t>(8 - offset, uint64_t(len - i)));
      sched::MutexLock l(encl->lock);
      ErrPtr<EnclPage> entry = reserve_page(*encl, at & ~(hw::kPageSize - 1), vma.flags);
      if (entry.is_err()) {
        ret = entry.err();
        break;
      }
      const hw::PAddr epc = entry->epc_page->addr + ((at & (hw::kPageSize - 1)) & ~uint64_t(7));
      uint64_t data = 0;
      if (!kernel::this_cpu().edbgrd(epc, data).succeeded()) {
        ret = -EIO;
        break;
      }
      auto* d = reinterpret_cast<uint8_t*>(&data);
      if (write) {
        std::memcpy(d + offset, bytes + i, size_t(cnt));
        if (!kernel::this_cpu().edbgwr(epc, data).succeeded()) {
          ret = -EIO;
          break;
        }
      } else {
        std::memcpy(bytes + i, d + offset, size_t(cnt));
      }
    }
    return ret < 0 ? ret : i;
  }

 private:
  // sgx_encl_reserve_page: the page made resident, waiting out ksgxd if it is writing
  // the page out. Linux drops and retakes the lock around each retry; so do we.
  static ErrPtr<EnclPage> reserve_page(Encl& encl, hw::LAddr addr, uint64_t vm_flags)
      REQUIRES(encl.lock) {
    for (;;) {
      ErrPtr<EnclPage> entry = encl.load_page_in_vma(addr, vm_flags);
      if (entry.is_err() && entry.err() == -EBUSY) {
        encl.lock.unlock();
        sched::yield("sgx_encl_reserve_page.retry");
        encl.lock.lock();
        continue;
      }
      return entry;
    }
  }
};

}  // namespace

kernel::VmOps& sgx_vm_ops() {
  static SgxVmOps ops;
  return ops;
}

}  // namespace sgxref::driver
