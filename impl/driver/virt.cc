#include "driver/virt.h"

#include <memory>

#include "driver/encls.h"
#include "driver/main.h"
#include "hw/cpu.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/task.h"
#include "kernel/vm_flags.h"
#include "sched/scheduler.h"
#include "uapi/sgx_ioctl.h"

namespace sgxref::driver {

EpcPage* SgxVepc::xa_load(uint64_t index) const {
  sched::MutexLock l(xa_lock_);
  const auto it = page_array_.find(index);
  return it == page_array_.end() ? nullptr : it->second;
}

void SgxVepc::xa_store(uint64_t index, EpcPage* page) {
  sched::MutexLock l(xa_lock_);
  page_array_[index] = page;
}

void SgxVepc::xa_erase(uint64_t index) {
  sched::MutexLock l(xa_lock_);
  page_array_.erase(index);
}

EpcPage* SgxVepc::xa_find(uint64_t& index) const {
  sched::MutexLock l(xa_lock_);
  const auto it = page_array_.lower_bound(index);
  if (it == page_array_.end()) return nullptr;
  index = it->first;
  return it->second;
}

namespace {

SgxVepc& vepc_of(kernel::File& file) { return *static_cast<SgxVepc*>(file.private_data.get()); }

// __sgx_vepc_fault: the page at this index, allocated and mapped on first use.
int vepc_fault(SgxVepc& vepc, kernel::Vma& vma, hw::LAddr addr)
    REQUIRES(vepc.lock) REQUIRES_SHARED(vma.mm->mmap_lock) {
  const uint64_t index = vma.pgoff + (addr - vma.start) / hw::kPageSize;
  if (vepc.xa_load(index) != nullptr) return 0;
  // Never reclaim for a guest: its pages are not on the LRU, and taking an enclave's
  // pages for it would only move the shortage. Linux records the instance as the
  // owner; ours is typed for enclave pages and read only by the reclaimer, which never
  // meets a vEPC page, so it stays null.
  ErrPtr<EpcPage> epc_page = vepc.sgx.alloc_epc_page(nullptr, false);
  if (epc_page.is_err()) return epc_page.err();
  if (vepc.sgx.kernel().faults().should_fail(kernel::FailPoint::kKmalloc)) {
    vepc.sgx.free_epc_page(epc_page.get());
    return -ENOMEM;  // xa_store could not allocate a node
  }
  vepc.xa_store(index, epc_page.get());
  if (vma.mm->insert_pfn(vma, addr, epc_page->addr) != kernel::VmFault::kNoPage) {
    vepc.xa_erase(index);
    vepc.sgx.free_epc_page(epc_page.get());
    return -EFAULT;
  }
  return 0;
}

class SgxVepcVmOps : public kernel::VmOps {
 public:
  // sgx_vepc_fault
  kernel::VmFault fault(kernel::Vma& vma, hw::LAddr addr, bool /*write*/) override {
    vma.mm->mmap_lock.assert_held_shared();
    SgxVepc& vepc = *static_cast<SgxVepc*>(vma.private_data);
    int ret;
    {
      sched::MutexLock l(vepc.lock);
      ret = vepc_fault(vepc, vma, addr);
    }
    if (ret == 0) return kernel::VmFault::kNoPage;
    // Nothing free but something reclaimable: ksgxd has been woken, and Linux answers
    // VM_FAULT_RETRY when the fault allows it. Every fault the kernel slice takes does
    // (a user access, which the hardware re-executes), and the slice drops mmap_lock
    // before the access runs again, so "take the fault again" is NOPAGE here.
    if (ret == -EBUSY) return kernel::VmFault::kNoPage;
    return kernel::VmFault::kSigbus;
  }
};

SgxVepcVmOps& sgx_vepc_vm_ops() {
  static SgxVepcVmOps ops;
  return ops;
}

}  // namespace

// sgx_vepc_open
int VepcFops::open(kernel::File& file) {
  if (sgx_.kernel().faults().should_fail(kernel::FailPoint::kKmalloc)) return -ENOMEM;
  file.private_data = std::make_shared<SgxVepc>(sgx_);
  return 0;
}

// sgx_vepc_mmap: EPC cannot be copied on write, so only a shared mapping; and a fork
// must not hand the guest's pages to the child (VM_DONTCOPY).
int VepcFops::mmap(kernel::File& file, kernel::Vma& vma) {
  if (!(vma.flags & kernel::VM_SHARED)) return -EINVAL;
  vma.ops = &sgx_vepc_vm_ops();
  vma.flags |= kernel::VM_PFNMAP | kernel::VM_IO | kernel::VM_DONTDUMP | kernel::VM_DONTCOPY;
  vma.private_data = &vepc_of(file);
  return 0;
}

// sgx_vepc_free_page. The guest may have left the page in any state, so EREMOVE runs
// whatever the page holds (on a page the guest removed itself it does nothing).
hw::Result VepcFops::free_page(EpcPage* epc_page) {
  const hw::Result r = kernel::this_cpu().eremove(epc_page->addr);
  if (!r.succeeded()) {
    // A SECS with children is expected: it goes once they have. Anything else means a
    // CPU still runs the enclave, which KVM promises never to let happen here.
    if (!encls_returned_code(r, hw::SgxCode::kChildPresent)) {
      sgx_.warn("sgx_vepc_free_page: EREMOVE");
    }
    return r;
  }
  sgx_.free_epc_page(epc_page);
  return r;
}

// sgx_vepc_remove_all: EREMOVE every page, keeping them allocated (a guest reset).
long VepcFops::remove_all(SgxVepc& vepc) {
  long failures = 0;
  for (uint64_t index = 0; EpcPage* entry = vepc.xa_find(index); ++index) {
    const hw::Result r = kernel::this_cpu().eremove(entry->addr);
    if (!r.succeeded()) {
      if (!encls_returned_code(r, hw::SgxCode::kChildPresent)) {
        // #GP (another leaf on the page: REMOVE_ALL on two instances at once, a guest
        // still building) and SGX_ENCLAVE_ACT (a CPU inside) are user space's doing:
        // no WARN. Only a #PF says the kernel or the hardware is wrong.
        if (encls_faulted(r) && r.fault.vector != hw::Vector::kGP) {
          sgx_.warn("sgx_vepc_remove_all: EREMOVE");
        }
        return -EBUSY;
      }
      // A SECS whose children come later in the walk, or live in another instance:
      // user space calls again.
      ++failures;
    }
    sched::point("sgx_vepc_remove_all.cond_resched");
  }
  return failures;
}

// sgx_vepc_release
void VepcFops::release(kernel::File& file) {
  SgxVepc& vepc = vepc_of(file);
  PageList secs_pages;

  // Children first; a SECS refuses while it has any and stays for the next pass.
  for (uint64_t index = 0; EpcPage* entry = vepc.xa_find(index); ++index) {
    if (free_page(entry).succeeded()) vepc.xa_erase(index);
    sched::point("sgx_vepc_release.cond_resched");
  }

  // Every child of this instance is gone, so a SECS that still refuses has children in
  // another one.
  for (uint64_t index = 0; EpcPage* entry = vepc.xa_find(index); ++index) {
    if (!free_page(entry).succeeded()) secs_pages.push_back(entry);
    vepc.xa_erase(index);
    sched::point("sgx_vepc_release.cond_resched");
  }

  // The children just removed may have been the last of a SECS an earlier release left
  // behind: try every zombie again, and leave what still refuses, ours included.
  {
    sched::MutexLock l(zombie_secs_pages_lock_);
    while (!zombie_secs_pages_.empty()) {
      EpcPage* epc_page = zombie_secs_pages_.pop_front();
      if (!free_page(epc_page).succeeded()) secs_pages.push_back(epc_page);
      sched::point("sgx_vepc_release.cond_resched");
    }
    while (!secs_pages.empty()) zombie_secs_pages_.push_back(secs_pages.pop_front());
  }

  file.private_data.reset();
}

long VepcFops::ioctl(kernel::File& file, unsigned int cmd, hw::LAddr arg) {
  switch (cmd) {
    case uapi::ioctl::kVepcRemoveAll:
      if (arg != 0) return -EINVAL;
      return remove_all(vepc_of(file));
    default:
      return -ENOTTY;
  }
}

size_t VepcFops::nr_zombie_secs_pages() const {
  sched::MutexLock l(zombie_secs_pages_lock_);
  return zombie_secs_pages_.size();
}

}  // namespace sgxref::driver
