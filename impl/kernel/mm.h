// File: a process address space (Linux's mm_struct): its VMAs, the page table the
// emulator's CPUs walk, mmap_lock, the mask of CPUs that have run it, its users and the
// notifiers told when it goes away. mmap, mprotect and munmap are the system calls'
// work once the arguments are checked; the fault path and the page-table edits drivers
// make (vmf_insert_pfn, zap_vma_ptes, ptep_test_and_clear_young) live here too.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "hw/page_table.h"
#include "kernel/file.h"
#include "kernel/vma.h"
#include "sched/condvar.h"
#include "sched/mutex.h"
#include "sched/rw_mutex.h"

namespace sgxref::kernel {

class Kernel;
class Mm;

// Told when an address space is torn down (exit_mmap) or when the notifier is
// unregistered first, whichever comes first, exactly once (Linux's mmu_notifier
// release).
class MmuNotifier {
 public:
  virtual ~MmuNotifier() = default;
  virtual void release(Mm&) = 0;
};

// What the fault path made of a fault (the arch handler turns the last two into
// signals).
enum class FaultResult { kHandled, kSigsegv, kSigbus, kOom };

// Held by shared_ptr: a reference keeps the struct (Linux's mmgrab/mm_count), while
// mmget/mmput count the users of the address space (mm_users).
class Mm : public std::enable_shared_from_this<Mm> {
 public:
  explicit Mm(Kernel& k);
  ~Mm();
  Mm(const Mm&) = delete;
  Mm& operator=(const Mm&) = delete;

  Kernel& kernel() const { return k_; }
  hw::PageTable& page_table() { return pt_; }

  // Taken for reading by faults and lookups, for writing by mmap, mprotect, munmap.
  // Order: before any driver lock (the enclave mutex).
  mutable sched::RwMutex mmap_lock{"mmap_lock"};

  // Returns the start of the new mapping or -errno. `addr` is used only with MAP_FIXED
  // (whatever was mapped there goes); `file` null maps anonymous zeroed memory.
  long mmap(hw::LAddr addr, uint64_t len, uint64_t prot, uint64_t flags, FileRef file,
            uint64_t pgoff) EXCLUDES(mmap_lock);
  int mprotect(hw::LAddr start, uint64_t len, uint64_t prot) EXCLUDES(mmap_lock);
  int munmap(hw::LAddr start, uint64_t len) EXCLUDES(mmap_lock);

  // The VMA holding `a`, or nullptr.
  Vma* find_vma(hw::LAddr a) const REQUIRES_SHARED(mmap_lock);
  std::vector<const Vma*> vmas() const REQUIRES_SHARED(mmap_lock);

  // The fault path: whether an access of this kind may touch `a` at all, then the
  // VMA's fault handler or anonymous memory.
  FaultResult handle_mm_fault(hw::LAddr a, bool write, bool exec) EXCLUDES(mmap_lock);
  FaultResult handle_mm_fault_locked(hw::LAddr a, bool write, bool exec)
      REQUIRES_SHARED(mmap_lock);
  // The frame behind user address `a`, faulted in for a read or write as
  // get_user_pages does; 0 if the access is not allowed there. The frame stays while
  // mmap_lock is held.
  hw::PAddr get_user_page(hw::LAddr a, bool write) REQUIRES_SHARED(mmap_lock);

  // Maps `pa` at `addr` in `vma` with the VMA's rights; a PTE already there stays
  // (vmf_insert_pfn). kSigbus when `addr` is outside the VMA.
  VmFault insert_pfn(Vma& vma, hw::LAddr addr, hw::PAddr pa) REQUIRES_SHARED(mmap_lock);
  // Clears the PTE of `addr` and shoots down the TLBs of the CPUs in the cpumask by IPI
  // (zap_vma_ptes). Linux does not need mmap_lock for it, nor do we.
  void zap_pte(hw::LAddr addr);
  // Whether the page at `addr` was accessed since the last call (ptep_test_and_clear_young).
  bool test_and_clear_young(hw::LAddr addr) { return pt_.test_and_clear_accessed(addr); }

  // The CPUs whose current page table is this one's, or was until another took its
  // place on that CPU (x86 clears a CPU's bit when it switches to another mm).
  uint64_t cpumask() const { return cpumask_.load(std::memory_order_acquire); }
  void cpumask_set(uint32_t cpu) { cpumask_.fetch_or(1ull << cpu, std::memory_order_acq_rel); }
  void cpumask_clear(uint32_t cpu) {
    cpumask_.fetch_and(~(1ull << cpu), std::memory_order_acq_rel);
  }

  // mm_users: the processes and tasks using the address space. The last mmput tears it
  // down (exit_mmap): notifiers first, then every mapping.
  void mmget() { users_.fetch_add(1, std::memory_order_relaxed); }
  bool mmget_not_zero();
  void mmput();
  // Whether a user is left: what mmget_not_zero tests, for a reader that needs no
  // reference because something else keeps the Mm from being torn down meanwhile.
  bool has_users() const { return users_.load(std::memory_order_acquire) != 0; }

  void register_notifier(MmuNotifier* n) EXCLUDES(notifiers_mu_);
  // Removes `n` and calls its release if the address space has not already done so;
  // waits for a release in progress elsewhere (Linux's synchronize_srcu).
  void unregister_notifier(MmuNotifier* n) EXCLUDES(notifiers_mu_);

  // fork's copy: every VMA but VM_DONTCOPY ones, anonymous memory copied, a driver's
  // PTEs copied as they are (VM_PFNMAP) and its open() called for the copy.
  std::shared_ptr<Mm> dup() EXCLUDES(mmap_lock);

 private:
  using VmaMap = std::map<hw::LAddr, std::unique_ptr<Vma>>;

  // The first free range of `len` bytes at or above kMmapBase.
  hw::LAddr unmapped_area(uint64_t len) const REQUIRES_SHARED(mmap_lock);
  // Splits the VMA holding `at` so that one VMA ends at `at`.
  void split_at(hw::LAddr at) REQUIRES(mmap_lock);
  // The VMA's flags become `newflags`, its PTEs follow.
  void change_protection(Vma& v, uint64_t newflags) REQUIRES(mmap_lock) EXCLUDES(ptl_);
  void unmap_range(hw::LAddr start, hw::LAddr end) REQUIRES(mmap_lock);
  void remove_vma(VmaMap::iterator it) REQUIRES(mmap_lock);
  void exit_mmap() EXCLUDES(mmap_lock, notifiers_mu_);
  hw::Pte pte_for(const Vma& vma, hw::PAddr pa) const;
  // A TLB shootdown: an IPI to every other CPU in the cpumask, as flush_tlb_mm_range
  // sends (a CPU inside an enclave leaves it by AEX).
  void flush_tlb();

  Kernel& k_;
  hw::PageTable pt_;
  VmaMap vmas_ GUARDED_BY(mmap_lock);
  // The frames of anonymous pages mprotect made PROT_NONE, by linear page. x86 keeps
  // such a page's frame in a PTE that is not present (_PAGE_PROTNONE); hw::Pte cannot
  // hold a frame it does not map, so the frame waits here until a right comes back.
  std::map<hw::LAddr, hw::PAddr> protnone_ GUARDED_BY(mmap_lock);
  // The page table lock (Linux's PTE lock): a PTE edit that depends on what the PTE held
  // (a fault installing one where none is, widening, mprotect's narrowing) and zap_pte
  // take it, since faults hold mmap_lock only shared and zap_pte not at all. Innermost:
  // after mmap_lock and any driver lock.
  sched::Mutex ptl_{"mm.ptl"};
  std::atomic<uint64_t> cpumask_{0};
  std::atomic<int> users_{1};

  sched::Mutex notifiers_mu_{"mm.notifiers"};
  sched::CondVar releasing_done_{"mm.notifiers.released"};
  std::vector<MmuNotifier*> notifiers_ GUARDED_BY(notifiers_mu_);
  bool releasing_ GUARDED_BY(notifiers_mu_) = false;
};

// A user of an address space for the length of a scope: mmget_not_zero, then mmput when
// the scope ends, also when it ends by unwinding (a controlled run aborting a thread at
// one of its scheduling points), which a bare pair would leak, and the address space
// with it.
class MmUser {
 public:
  explicit MmUser(Mm& mm) : mm_(mm.mmget_not_zero() ? &mm : nullptr) {}
  ~MmUser() {
    if (mm_ != nullptr) mm_->mmput();
  }
  MmUser(const MmUser&) = delete;
  MmUser& operator=(const MmUser&) = delete;
  // Whether the address space still had a user, and so is held.
  explicit operator bool() const { return mm_ != nullptr; }

 private:
  Mm* mm_;
};

}  // namespace sgxref::kernel
