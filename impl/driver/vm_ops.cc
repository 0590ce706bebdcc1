#include "driver/vm_ops.h"

#include <algorithm>
#include <cstring>

#include "driver/encl.h"
#include "driver/main.h"
#include "hw/cpu.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/task.h"
#include "kernel/vm_flags.h"

namespace sgxref::driver {

namespace {

Encl* encl_of(const kernel::Vma& vma) { return static_cast<Encl*>(vma.private_data); }

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
