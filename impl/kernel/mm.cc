#include "kernel/mm.h"

#include <cstring>

#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/vm_flags.h"

namespace sgxref::kernel {

namespace {

// Where mappings without MAP_FIXED go, and the top of user space (47-bit canonical).
constexpr hw::LAddr kMmapBase = 0x0000'1000'0000ull;
constexpr hw::LAddr kTaskSize = 0x0000'7fff'ffff'f000ull;

}  // namespace

Mm::Mm(Kernel& k) : k_(k) {}

Mm::~Mm() { k_.run_queue().forget(this); }

long Mm::mmap(hw::LAddr addr, uint64_t len, uint64_t prot, uint64_t flags, FileRef file,
              uint64_t pgoff) {
  len = (len + hw::kPageSize - 1) & ~(hw::kPageSize - 1);
  if (file) {
    if (long ret = file->ops().get_unmapped_area(*file, addr, len, pgoff, flags); ret < 0) {
      return ret;
    }
  }
  sched::WriterLock l(mmap_lock);
  if ((flags & MAP_FIXED) == 0) addr = unmapped_area(len);
  if (addr == 0 || addr + len > kTaskSize || addr + len < addr) return -ENOMEM;

  auto vma = std::make_unique<Vma>();
  vma->mm = this;
  vma->start = addr;
  vma->end = addr + len;
  vma->flags = vm_flags_of(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if (flags & MAP_SHARED) vma->flags |= VM_SHARED | VM_MAYSHARE;
  vma->pgoff = pgoff;
  vma->file = file;
  // What MAP_FIXED replaces goes before the driver is asked, as in Linux's mmap_region
  // (vms_clean_up_area clears its PTEs and closes it first, so when the driver refuses
  // it cannot come back: vms_abort_munmap_vmas leaves a gap).
  unmap_range(vma->start, vma->end);
  if (file) {
    if (int ret = file->ops().mmap(*file, *vma); ret != 0) return ret;
  }
  vmas_.emplace(addr, std::move(vma));
  return long(addr);
}

// do_mprotect_pkey: VMA by VMA from `start`, each checked (its VM_MAY* rights, then its
// driver's hook) and then changed, so a refusal or a gap part way leaves the VMAs before
// it changed, as Linux does. A VMA whose flags stay as they are is not split
// (mprotect_fixup), and the driver's VMAs are VM_PFNMAP, never merged again.
int Mm::mprotect(hw::LAddr start, uint64_t len, uint64_t prot) {
  if (len == 0) return 0;
  len = (len + hw::kPageSize - 1) & ~(hw::kPageSize - 1);
  const hw::LAddr end = start + len;
  // A length that wraps, PAGE_ALIGN'ed to 0 included, is -ENOMEM (mm/mprotect.c).
  if (end <= start) return -ENOMEM;
  sched::WriterLock l(mmap_lock);
  int ret = 0;
  for (hw::LAddr at = start; at < end;) {
    Vma* v = find_vma(at);
    if (v == nullptr) {
      ret = -ENOMEM;
      break;
    }
    const hw::LAddr to = std::min(v->end, end);
    const uint64_t newflags = (v->flags & ~kVmProtMask) | vm_flags_of(prot);
    if ((newflags & kVmProtMask) & ~(v->flags >> 4) & kVmProtMask) {
      ret = -EACCES;
      break;
    }
    if (v->ops != nullptr) {
      if (ret = v->ops->may_mprotect(*v, at, to, newflags); ret != 0) break;
    }
    if (newflags != v->flags) {
      split_at(at);
      split_at(to);
      change_protection(*find_vma(at), newflags);
    }
    at = to;
  }
  flush_tlb();
  return ret;
}

// change_protection: present PTEs lose what the VMA no longer allows; a right the VMA
// gained is granted by the next fault. Under the page table lock, so a zap_pte (which
// takes no mmap_lock) is not undone by writing back what it cleared.
void Mm::change_protection(Vma& v, uint64_t newflags) {
  v.flags = newflags;
  const bool none = (v.flags & kVmProtMask) == 0;
  sched::MutexLock ptl(ptl_);
  for (hw::LAddr a = v.start; a < v.end; a += hw::kPageSize) {
    const hw::Pte pte = pt_.get(a);
    if (!pte.present) {
      // A PROT_NONE anonymous page given a right back: its frame is mapped again.
      if (const auto h = protnone_.find(a); !none && h != protnone_.end()) {
        pt_.set(a, pte_for(v, h->second));
        protnone_.erase(h);
      }
      continue;
    }
    if (none) {
      // PROT_NONE: a present PTE always allows reads, so none stays; an anonymous
      // page's frame is kept aside (a driver's page faults back in later).
      pt_.clear(a);
      if (!v.file) protnone_.emplace(a, pte.pa);
      continue;
    }
    hw::Pte narrowed = pte;
    narrowed.writable = pte.writable && (v.flags & VM_WRITE) != 0;
    narrowed.nx = pte.nx || (v.flags & VM_EXEC) == 0;
    if (!(narrowed == pte)) pt_.set(a, narrowed);
  }
}

int Mm::munmap(hw::LAddr start, uint64_t len) {
  len = (len + hw::kPageSize - 1) & ~(hw::kPageSize - 1);
  if (start + len < start || start + len > kTaskSize) return -EINVAL;
  sched::WriterLock l(mmap_lock);
  unmap_range(start, start + len);
  return 0;
}

Vma* Mm::find_vma(hw::LAddr a) const {
  auto it = vmas_.upper_bound(a);
  if (it == vmas_.begin()) return nullptr;
  --it;
  return it->second->contains(a) ? it->second.get() : nullptr;
}

std::vector<const Vma*> Mm::vmas() const {
  std::vector<const Vma*> out;
  for (const auto& [start, v] : vmas_) out.push_back(v.get());
  return out;
}

FaultResult Mm::handle_mm_fault(hw::LAddr a, bool write, bool exec) {
  sched::ReaderLock l(mmap_lock);
  return handle_mm_fault_locked(a, write, exec);
}

FaultResult Mm::handle_mm_fault_locked(hw::LAddr a, bool write, bool exec) {
  Vma* v = find_vma(a);
  if (v == nullptr) return FaultResult::kSigsegv;
  // access_error: a write needs VM_WRITE, a fetch VM_EXEC, a read any right at all.
  if ((write && !(v->flags & VM_WRITE)) || (exec && !(v->flags & VM_EXEC)) ||
      !(v->flags & kVmProtMask)) {
    return FaultResult::kSigsegv;
  }
  const hw::LAddr page = hw::page_of(a);
  {
    sched::MutexLock l(ptl_);
    const hw::Pte pte = pt_.get(page);
    if (pte.present) {
      // The PTE is narrower than the VMA (mprotect widened it since): widen the PTE, as
      // do_wp_page does for a shared mapping and a spurious fault does for the rest.
      hw::Pte wide = pte_for(*v, pte.pa);
      wide.accessed = pte.accessed;
      pt_.set(page, wide);
      return FaultResult::kHandled;
    }
  }
  if (v->ops != nullptr) {
    switch (v->ops->fault(*v, page, write)) {
      case VmFault::kNoPage: return FaultResult::kHandled;
      case VmFault::kSigbus: return FaultResult::kSigbus;
      case VmFault::kOom: return FaultResult::kOom;
    }
  }
  if (v->file) return FaultResult::kSigbus;  // a file mapping with no fault handler
  const hw::PAddr frame = k_.machine().ram().alloc();
  if (frame == 0) return FaultResult::kOom;
  {
    // do_anonymous_page: another fault on this page (mmap_lock is shared) may have
    // mapped it meanwhile; its page stays and ours goes back.
    sched::MutexLock l(ptl_);
    if (!pt_.get(page).present) {
      pt_.set(page, pte_for(*v, frame));
      return FaultResult::kHandled;
    }
  }
  k_.machine().ram().free(frame);
  return FaultResult::kHandled;
}

hw::PAddr Mm::get_user_page(hw::LAddr a, bool write) {
  for (int tries = 0; tries < 8; ++tries) {
    const hw::Pte pte = pt_.get(hw::page_of(a));
    if (pte.present && (pte.writable || !write)) return pte.pa;
    if (handle_mm_fault_locked(a, write, false) != FaultResult::kHandled) return 0;
  }
  return 0;  // a fault handler that keeps answering "try again"
}

VmFault Mm::insert_pfn(Vma& vma, hw::LAddr addr, hw::PAddr pa) {
  if (!vma.contains(addr)) return VmFault::kSigbus;
  const hw::LAddr page = hw::page_of(addr);
  sched::MutexLock l(ptl_);
  if (!pt_.get(page).present) pt_.set(page, pte_for(vma, pa));
  return VmFault::kNoPage;
}

void Mm::zap_pte(hw::LAddr addr) {
  {
    sched::MutexLock l(ptl_);
    pt_.clear(hw::page_of(addr));
  }
  flush_tlb();
}

void Mm::flush_tlb() { k_.ipi_mask(cpumask()); }

hw::Pte Mm::pte_for(const Vma& vma, hw::PAddr pa) const {
  return hw::Pte{.present = true,
                 .writable = (vma.flags & VM_WRITE) != 0,
                 .nx = (vma.flags & VM_EXEC) == 0,
                 .pa = pa,
                 .accessed = false};
}

hw::LAddr Mm::unmapped_area(uint64_t len) const {
  hw::LAddr candidate = kMmapBase;
  for (const auto& [start, v] : vmas_) {
    if (v->end <= candidate) continue;
    if (start >= candidate + len) break;
    candidate = v->end;
  }
  return candidate + len <= kTaskSize ? candidate : 0;
}

void Mm::split_at(hw::LAddr at) {
  Vma* v = find_vma(at);
  if (v == nullptr || v->start == at) return;
  auto tail = std::make_unique<Vma>(*v);
  tail->start = at;
  tail->pgoff = v->pgoff + (at - v->start) / hw::kPageSize;
  v->end = at;
  Vma& t = *tail;
  vmas_.emplace(at, std::move(tail));
  if (t.ops != nullptr) t.ops->open(t);
}

void Mm::unmap_range(hw::LAddr start, hw::LAddr end) {
  split_at(start);
  split_at(end);
  for (auto it = vmas_.lower_bound(start); it != vmas_.end() && it->second->start < end;) {
    auto next = std::next(it);
    remove_vma(it);
    it = next;
  }
}

void Mm::remove_vma(VmaMap::iterator it) {
  Vma& v = *it->second;
  std::vector<hw::PAddr> frames;
  for (auto h = protnone_.lower_bound(v.start); h != protnone_.end() && h->first < v.end;) {
    frames.push_back(h->second);
    h = protnone_.erase(h);
  }
  for (hw::LAddr a = v.start; a < v.end; a += hw::kPageSize) {
    const hw::Pte pte = pt_.get(a);
    if (!pte.present) continue;
    pt_.clear(a);
    if (!v.file) frames.push_back(pte.pa);
  }
  // Frames are freed only once no CPU can still reach them through a stale TLB entry.
  flush_tlb();
  for (hw::PAddr f : frames) k_.machine().ram().free(f);
  if (v.ops != nullptr) v.ops->close(v);
  vmas_.erase(it);  // drops the VMA's reference to its file
}

bool Mm::mmget_not_zero() {
  int users = users_.load(std::memory_order_relaxed);
  while (users > 0) {
    if (users_.compare_exchange_weak(users, users + 1, std::memory_order_acq_rel)) return true;
  }
  return false;
}

void Mm::mmput() {
  if (users_.fetch_sub(1, std::memory_order_acq_rel) == 1) exit_mmap();
}

void Mm::register_notifier(MmuNotifier* n) {
  sched::MutexLock l(notifiers_mu_);
  notifiers_.push_back(n);
}

void Mm::unregister_notifier(MmuNotifier* n) {
  bool registered = false;
  {
    sched::MutexLock l(notifiers_mu_);
    for (auto it = notifiers_.begin(); it != notifiers_.end(); ++it) {
      if (*it == n) {
        notifiers_.erase(it);
        registered = true;
        break;
      }
    }
    while (releasing_) releasing_done_.wait(notifiers_mu_);
  }
  if (registered) n->release(*this);
}

void Mm::exit_mmap() {
  std::vector<MmuNotifier*> told;
  {
    sched::MutexLock l(notifiers_mu_);
    told.swap(notifiers_);
    releasing_ = true;
  }
  for (MmuNotifier* n : told) n->release(*this);
  {
    sched::MutexLock l(notifiers_mu_);
    releasing_ = false;
    releasing_done_.notify_all();
  }
  sched::WriterLock l(mmap_lock);
  while (!vmas_.empty()) remove_vma(vmas_.begin());
}

std::shared_ptr<Mm> Mm::dup() {
  auto child = std::make_shared<Mm>(k_);
  sched::ReaderLock l(mmap_lock);
  sched::WriterLock cl(child->mmap_lock);
  for (const auto& [start, v] : vmas_) {
    if (v->flags & VM_DONTCOPY) continue;
    auto copy = std::make_unique<Vma>(*v);
    copy->mm = child.get();
    for (hw::LAddr a = v->start; a < v->end; a += hw::kPageSize) {
      hw::Pte pte = pt_.get(a);
      if (!pte.present) continue;
      if (!v->file) {
        const hw::PAddr frame = k_.machine().ram().alloc();
        if (frame == 0) continue;  // the child faults in a zero page instead
        std::memcpy(k_.machine().ram().frame(frame), k_.machine().ram().frame(pte.pa),
                    hw::kPageSize);
        pte.pa = frame;
      }
      pte.accessed = false;
      child->pt_.set(a, pte);
    }
    for (auto h = protnone_.lower_bound(v->start); h != protnone_.end() && h->first < v->end;
         ++h) {
      const hw::PAddr frame = k_.machine().ram().alloc();
      if (frame == 0) continue;
      std::memcpy(k_.machine().ram().frame(frame), k_.machine().ram().frame(h->second),
                  hw::kPageSize);
      child->protnone_.emplace(h->first, frame);
    }
    Vma& c = *copy;
    child->vmas_.emplace(start, std::move(copy));
    if (c.ops != nullptr) c.ops->open(c);
  }
  return child;
}

}  // namespace sgxref::kernel
