#include "driver/encl.h"

#include <bit>
#include <cstring>

#include "driver/encls.h"
#include "driver/main.h"
#include "driver/operands.h"
#include "driver/vm_ops.h"
#include "hw/cpu.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "kernel/vm_flags.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace sgxref::driver {

namespace {

constexpr uint64_t kPcmdsPerPage = hw::kPageSize / sizeof(uapi::Pcmd);  // 32

// memchr_inv over a backing page, read in place as kmap_local_page lets Linux read it.
bool page_is_zero(hw::Machine& m, hw::PAddr pa) {
  static constexpr uint8_t kZero[hw::kPageSize] = {};
  const uint8_t* bytes = m.ram().frame(pa);
  return bytes != nullptr && std::memcmp(bytes, kZero, hw::kPageSize) == 0;
}

}  // namespace

uint32_t VaPage::alloc_slot() {
  for (size_t w = 0; w < slots.size(); ++w) {
    if (slots[w] != ~uint64_t(0)) {
      const int bit = std::countr_one(slots[w]);
      slots[w] |= uint64_t(1) << bit;
      return uint32_t(w * 64 + size_t(bit)) * 8;
    }
  }
  return 0;  // unreachable: callers take slots from a page that is not full
}

void VaPage::free_slot(uint32_t offset) {
  const uint32_t slot = offset / 8;
  slots[slot / 64] &= ~(uint64_t(1) << (slot % 64));
}

bool VaPage::full() const {
  for (uint64_t w : slots) {
    if (w != ~uint64_t(0)) return false;
  }
  return true;
}

Encl::Encl(Sgx& sgx, const Alternatives& alt) : sgx_(sgx), alt_(alt) {
  secs.encl = this;
  secs.type = uapi::PageType::kSecs;
}

Encl::~Encl() {
  kernel::CpuHold cpu;
  for (auto& [pfn, entry] : page_array) {
    if (entry->epc_page != nullptr) {
      // Only ksgxd could hold the page now, and it holds a reference too: a leak
      // if it ever happens.
      if (sgx_.unmark_page_reclaimable(entry->epc_page) != 0) {
        sgx_.warn("sgx_encl_release: page held by the reclaimer");
        continue;
      }
      free_epc_page(entry->epc_page);
      --secs_child_cnt;
      entry->epc_page = nullptr;
    }
    sched::point("sgx_encl_release.cond_resched");
  }
  page_array.clear();
  if (secs_child_cnt == 0 && secs.epc_page != nullptr) {
    free_epc_page(secs.epc_page);
    secs.epc_page = nullptr;
  }
  while (!va_pages.empty()) {
    free_epc_page(va_pages.front()->epc_page);
    va_pages.pop_front();
  }
  if (!mm_list_.empty()) sgx_.warn("sgx_encl_release: mm_list not empty");
  if (secs_child_cnt != 0) sgx_.warn("sgx_encl_release: secs_child_cnt not zero");
  if (secs.epc_page != nullptr) sgx_.warn("sgx_encl_release: SECS still resident");
}

void Encl::free_epc_page(EpcPage* epc_page) {
  if (epc_page->flags & SGX_EPC_PAGE_RECLAIMER_TRACKED) {
    sgx_.warn("sgx_encl_free_epc_page: page still tracked");
  }
  const hw::Result r = kernel::this_cpu().eremove(epc_page->addr);
  if (encls_failed(r)) {
    sgx_.warn("EREMOVE");
    return;  // leaked: the page is in an unknown state
  }
  sgx_.free_epc_page(epc_page);
}

ErrPtr<VaPage> Encl::grow(bool reclaim) {
  VaPage* va_page = nullptr;
  if (page_cnt.load() % SGX_VA_SLOT_COUNT == 0) {
    if (sgx_.kernel().faults().should_fail(kernel::FailPoint::kKmalloc)) {
      return ErrPtr<VaPage>::error(-ENOMEM);
    }
    auto fresh = std::make_unique<VaPage>();
    if (sgx_.kernel().faults().should_fail(kernel::FailPoint::kVaAlloc)) {
      return ErrPtr<VaPage>::error(-ENOMEM);
    }
    // sgx_alloc_va_page
    ErrPtr<EpcPage> epc_page = sgx_.alloc_epc_page(nullptr, reclaim);
    if (epc_page.is_err()) return ErrPtr<VaPage>::error(epc_page.err());
    const hw::Result r =
        kernel::this_cpu().epa(uint64_t(uapi::PageType::kVa), epc_page->addr);
    if (!r.succeeded()) {
      sgx_.warn("EPA");
      free_epc_page(epc_page.get());
      return ErrPtr<VaPage>::error(-EFAULT);
    }
    fresh->epc_page = epc_page.get();
    va_page = fresh.release();
  }
  page_cnt.fetch_add(1);
  return va_page;
}

void Encl::add_va_page(VaPage* va_page) { va_pages.emplace_front(va_page); }

void Encl::shrink(VaPage* va_page) {
  page_cnt.fetch_sub(1);
  if (va_page == nullptr) return;
  free_epc_page(va_page->epc_page);
  for (auto it = va_pages.begin(); it != va_pages.end(); ++it) {
    if (it->get() == va_page) {
      va_pages.erase(it);
      return;
    }
  }
}

int Encl::get_backing(uint64_t page_index, Backing& b) {
  const uint64_t pcmd_at = size + hw::kPageSize + page_index * sizeof(uapi::Pcmd);
  b.contents = backing->get_page(page_index);
  if (b.contents == 0) return -ENOMEM;
  b.pcmd = backing->get_page(pcmd_at >> hw::kPageShift);
  if (b.pcmd == 0) return -ENOMEM;
  b.pcmd_offset = uint32_t(pcmd_at & (hw::kPageSize - 1));
  return 0;
}

// Whether ksgxd is about to write a PCMD into the PCMD page shared by the 32 pages
// from `start_addr`: then the page must stay, even if it reads all-zero now (af117837ceb9).
bool Encl::reclaimer_writing_to_pcmd(uint64_t start_addr) {
  for (uint64_t i = 0; i < kPcmdsPerPage; ++i) {
    const uint64_t addr = start_addr + i * hw::kPageSize;
    // The SECS is reclaimed under the lock from start to end, so it never shows as
    // being reclaimed.
    if (addr == base + size) break;
    const auto it = page_array.find(addr >> hw::kPageShift);
    if (it == page_array.end()) continue;
    if (it->second->epc_page != nullptr && it->second->being_reclaimed) return true;
  }
  return false;
}

// __sgx_encl_eldu: ELDU from the backing into `epc_page`, then the backing freed: the
// contents page always, the PCMD page when no PCMD is left in it and ksgxd is not
// about to write one there.
int Encl::eldu_into(EnclPage& encl_page, EpcPage* epc_page, EpcPage* secs_page) {
  hw::Machine& m = sgx_.kernel().machine();
  const uint64_t index = page_index(encl_page);
  const uint64_t pcmd_first_page = base + ((index & ~(kPcmdsPerPage - 1)) << hw::kPageShift);
  const uint64_t page_pcmd_off = size + hw::kPageSize + index * sizeof(uapi::Pcmd);
  // A failed EWB (its WARN) lost the contents and kept no VA slot. Linux's ELDU then
  // reads the slot it freed (or dereferences a NULL va_page, an oops, when the page was
  // never evicted before); ours fails as that ELDU does.
  if (encl_page.va_page == nullptr) {
    sgx_.warn("ELDU");
    return -EFAULT;
  }
  Backing b;
  int ret = get_backing(index, b);
  if (ret != 0) return ret;

  const hw::PAddr va_slot = encl_page.va_page->epc_page->addr + encl_page.va_offset;
  const hw::PAddr pginfo = put_pageinfo(sgx_, encl_page.desc, b.contents, b.pcmd + b.pcmd_offset,
                                        secs_page != nullptr ? secs_page->addr : 0);
  const hw::Result r = kernel::this_cpu().eldu(pginfo, epc_page->addr, va_slot);
  if (!r.succeeded()) {
    if (encls_failed(r)) sgx_.warn("ELDU");
    ret = -EFAULT;
  }

  const uint8_t zero[sizeof(uapi::Pcmd)] = {};
  m.write(b.pcmd + b.pcmd_offset, zero, sizeof(zero));
  const bool pcmd_page_empty = page_is_zero(m, b.pcmd);
  backing->truncate_page(index);
  if (pcmd_page_empty && !reclaimer_writing_to_pcmd(pcmd_first_page)) {
    backing->truncate_page(page_pcmd_off >> hw::kPageShift);
  }
  return ret;
}

// sgx_encl_eldu: a fresh EPC page (no reclaim: the enclave lock is held) loaded with
// the evicted page; its VA slot is freed and that VA page goes to the head.
EpcPage* Encl::eldu(EnclPage& encl_page, EpcPage* secs_page, int& err) {
  ErrPtr<EpcPage> epc_page = sgx_.alloc_epc_page(&encl_page, false);
  if (epc_page.is_err()) {
    err = epc_page.err();
    return nullptr;
  }
  if (int ret = eldu_into(encl_page, epc_page.get(), secs_page); ret != 0) {
    free_epc_page(epc_page.get());
    err = ret;
    return nullptr;
  }
  VaPage* va_page = encl_page.va_page;
  va_page->free_slot(encl_page.va_offset);
  for (auto it = va_pages.begin(); it != va_pages.end(); ++it) {
    if (it->get() == va_page) {
      va_pages.splice(va_pages.begin(), va_pages, it);
      break;
    }
  }
  encl_page.va_offset = 0;
  encl_page.va_page = nullptr;
  encl_page.epc_page = epc_page.get();
  return epc_page.get();
}

int Encl::load_secs() {
  if (secs.epc_page != nullptr) return 0;
  int err = 0;
  if (eldu(secs, nullptr, err) == nullptr) return err;
  return 0;
}

ErrPtr<EnclPage> Encl::load_page(hw::LAddr addr) {
  const auto it = page_array.find(addr >> hw::kPageShift);
  if (it == page_array.end()) return ErrPtr<EnclPage>::error(-EFAULT);
  EnclPage* entry = it->second.get();
  if (entry->epc_page != nullptr) {
    if (entry->being_reclaimed) return ErrPtr<EnclPage>::error(-EBUSY);
    return entry;
  }
  if (int ret = load_secs(); ret != 0) return ErrPtr<EnclPage>::error(ret);
  int err = 0;
  if (eldu(*entry, secs.epc_page, err) == nullptr) return ErrPtr<EnclPage>::error(err);
  ++secs_child_cnt;
  sgx_.mark_page_reclaimable(entry->epc_page);
  return entry;
}

int Encl::eaug_page(std::unique_ptr<EnclPage>& encl_page) {
  if (int ret = load_secs(); ret != 0) return ret;
  ErrPtr<EpcPage> epc_page = sgx_.alloc_epc_page(encl_page.get(), false);
  if (epc_page.is_err()) return epc_page.err();
  ErrPtr<VaPage> va_page = grow(false);
  if (va_page.is_err()) {
    free_epc_page(epc_page.get());
    return va_page.err();
  }
  if (va_page.get() != nullptr) add_va_page(va_page.get());

  // The lock was not held when the caller found no page here.
  const uint64_t pfn = encl_page->desc >> hw::kPageShift;
  if (page_array.count(pfn) != 0) {
    shrink(va_page.get());
    free_epc_page(epc_page.get());
    return -EEXIST;
  }
  EnclPage* page = encl_page.get();
  page_array.emplace(pfn, std::move(encl_page));

  const hw::PAddr pginfo = put_pageinfo(sgx_, page->desc, 0, 0, secs.epc_page->addr);
  if (!kernel::this_cpu().eaug(pginfo, epc_page->addr).succeeded()) {
    encl_page = std::move(page_array[pfn]);
    page_array.erase(pfn);
    shrink(va_page.get());
    free_epc_page(epc_page.get());
    return -EFAULT;
  }
  page->epc_page = epc_page.get();
  page->type = uapi::PageType::kReg;
  ++secs_child_cnt;
  sgx_.mark_page_reclaimable(epc_page.get());
  return 0;
}

ErrPtr<EnclPage> encl_page_alloc(Encl& encl, uint64_t offset, uint64_t secinfo_flags) {
  namespace sf = uapi::secinfo_flag;
  if (encl.sgx().kernel().faults().should_fail(kernel::FailPoint::kKmalloc)) {
    return ErrPtr<EnclPage>::error(-ENOMEM);
  }
  auto* page = new EnclPage;
  page->desc = encl.base + offset;
  page->encl = &encl;
  uint64_t prot = 0;
  if (secinfo_flags & sf::kR) prot |= kernel::VM_READ;
  if (secinfo_flags & sf::kW) prot |= kernel::VM_WRITE;
  if (secinfo_flags & sf::kX) prot |= kernel::VM_EXEC;
  if ((secinfo_flags & sf::kTypeMask) == sf::type(uapi::PageType::kTcs)) {
    prot |= kernel::VM_READ | kernel::VM_WRITE;
  }
  page->vm_max_prot_bits = prot;
  return page;
}

ErrPtr<EnclPage> Encl::load_page_in_vma(hw::LAddr addr, uint64_t vm_flags) {
  const uint64_t vm_prot_bits = vm_flags & kernel::kVmProtMask;
  const auto it = page_array.find(addr >> hw::kPageShift);
  if (it == page_array.end()) return ErrPtr<EnclPage>::error(-EFAULT);
  if ((it->second->vm_max_prot_bits & vm_prot_bits) != vm_prot_bits) {
    return ErrPtr<EnclPage>::error(-EFAULT);
  }
  return load_page(addr);
}

int Encl::may_map(hw::LAddr start, hw::LAddr end, uint64_t vm_flags) {
  const uint64_t vm_prot_bits = vm_flags & kernel::kVmProtMask;
  if (test_flag(SGX_ENCL_INITIALIZED) && (start < base || end > base + size)) return -EACCES;
  sched::MutexLock l(lock);
  for (auto it = page_array.lower_bound(start >> hw::kPageShift);
       it != page_array.end() && it->first <= (end - 1) >> hw::kPageShift; ++it) {
    if (~it->second->vm_max_prot_bits & vm_prot_bits) return -EACCES;
  }
  return 0;
}

int Encl::mm_add(kernel::Mm& mm) {
  {
    sched::MutexLock l(mm_lock_);
    for (const auto& encl_mm : mm_list_) {
      if (&encl_mm->mm() == &mm) return 0;
    }
  }
  if (sgx_.kernel().faults().should_fail(kernel::FailPoint::kKmalloc)) return -ENOMEM;
  auto encl_mm = std::make_shared<EnclMm>(shared_from_this(), mm.shared_from_this());
  mm.register_notifier(encl_mm.get());
  sched::MutexLock l(mm_lock_);
  mm_list_.push_back(std::move(encl_mm));
  // Read by the PTE-zapping walks, which start over when it changed under them.
  mm_list_version_.fetch_add(1, std::memory_order_acq_rel);
  return 0;
}

bool Encl::mm_remove(const EnclMm* encl_mm) {
  std::shared_ptr<EnclMm> removed;  // dropped after the lock
  sched::MutexLock l(mm_lock_);
  for (auto it = mm_list_.begin(); it != mm_list_.end(); ++it) {
    if (it->get() == encl_mm) {
      removed = std::move(*it);
      mm_list_.erase(it);
      return true;
    }
  }
  return false;
}

std::vector<std::shared_ptr<EnclMm>> Encl::mm_list() const {
  sched::MutexLock l(mm_lock_);
  return mm_list_;
}

void Encl::drain_mm_list() {
  for (;;) {
    std::shared_ptr<EnclMm> encl_mm;
    {
      sched::MutexLock l(mm_lock_);
      if (mm_list_.empty()) return;
      encl_mm = std::move(mm_list_.front());
      mm_list_.erase(mm_list_.begin());
    }
    encl_mm->mm().unregister_notifier(encl_mm.get());
  }
}

void EnclMm::release(kernel::Mm&) {
  // Keeps this record (and through it the enclave) alive to the end of the call.
  std::shared_ptr<Encl> encl = encl_;
  encl->mm_remove(this);
}

// Read under mm_lock_ instead of from a snapshot: an address space on the list cannot
// finish its release (which first takes it off the list here), so its cpumask is read
// without taking a reference, where Linux takes one and drops it with mmput_async (a
// plain mmput here could end the address space and reenter mm_lock_). One whose last
// user is gone is skipped, as mmget_not_zero would skip it.
uint64_t Encl::cpumask() const {
  sched::MutexLock l(mm_lock_);
  uint64_t mask = 0;
  for (const auto& encl_mm : mm_list_) {
    if (encl_mm->mm().has_users()) mask |= encl_mm->mm().cpumask();
  }
  return mask;
}

kernel::Vma* Encl::find_vma(kernel::Mm& mm, hw::LAddr addr) const {
  kernel::Vma* vma = mm.find_vma(addr);
  if (vma == nullptr || vma->ops != &sgx_vm_ops() || vma->private_data != this) return nullptr;
  return vma;
}

bool Encl::test_and_clear_young(kernel::Mm& mm, const EnclPage& page) {
  if (find_vma(mm, page.desc) == nullptr) return false;
  return mm.test_and_clear_young(page.desc);
}

void Encl::zap_enclave_ptes(hw::LAddr addr) {
  uint64_t version = 0;
  do {
    version = mm_list_version();
    for (const auto& encl_mm : mm_list()) {
      kernel::Mm& mm = encl_mm->mm();
      const kernel::MmUser user(mm);
      if (!user) continue;
      sched::ReaderLock mmap(mm.mmap_lock);
      if (find_vma(mm, addr) != nullptr) mm.zap_pte(addr);
    }
  } while (version != mm_list_version());
}

}  // namespace sgxref::driver
