// File: the SGX core of the driver (Linux's main.c and sgx.h): the EPC as per-section
// free lists, the allocator every enclave page comes from (charging an EPC cgroup,
// epc_cgroup.h), the per-group LRUs, the reclaimer and ksgxd, the sanitization of pages left from before, and the per-CPU scratch memory
// ENCLS operands are built in. Driver WARNs are counted here.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "driver/epc_cgroup.h"
#include "driver/epc_page.h"
#include "driver/err_ptr.h"
#include "hw/address.h"
#include "hw/fault.h"
#include "kernel/kernel.h"
#include "kernel/kthread.h"
#include "sched/mutex.h"

namespace sgxref::driver {

struct EnclPage;

// How many pages one reclaimer pass takes off the LRU (SGX_NR_TO_SCAN).
inline constexpr int SGX_NR_TO_SCAN = 16;

class Sgx {
 public:
  struct Options {
    // ksgxd as a kernel thread (production), or stepped by the caller (ksgxd_step), so a
    // test decides when the reclaimer runs. In manual mode the sanitization pass runs
    // in the constructor.
    bool ksgxd_thread = true;
  };

  // The EPC of `k`'s machine as Linux's sgx_page_cache_init sees it: one section per
  // CPUID sub-leaf, section i on NUMA node i, every page on the dirty list until ksgxd
  // has sanitized it.
  Sgx(kernel::Kernel& k, const Options& o);
  // Stops ksgxd.
  ~Sgx();
  Sgx(const Sgx&) = delete;
  Sgx& operator=(const Sgx&) = delete;

  kernel::Kernel& kernel() const { return k_; }

  // sgx_alloc_epc_page: a free page for `owner` (null for a VA or vEPC page), charged
  // to the current task's EPC cgroup first (cgroup_try_charge: its error as is). With
  // nothing free, reclaims from every group if `reclaim` allows, else -EBUSY; -ENOMEM
  // when nothing is reclaimable; -ERESTARTSYS on a pending signal. Wakes ksgxd below the
  // low watermark.
  ErrPtr<EpcPage> alloc_epc_page(EnclPage* owner, bool reclaim);
  // The same, charged to `cg` instead: for an owner pinned to a group (a vEPC file).
  ErrPtr<EpcPage> alloc_epc_page(EnclPage* owner, bool reclaim, EpcCgroup& cg);
  // sgx_free_epc_page: uncharged, back on its section's free list. The page must be
  // invalid (EREMOVEd, or written out by EWB) and tracked by nobody.
  void free_epc_page(EpcPage* page);
  // sgx_mark_page_reclaimable / sgx_unmark_page_reclaimable: onto and off the LRU of
  // the page's group. Unmarking a page a reclaimer has already taken off answers -EBUSY.
  void mark_page_reclaimable(EpcPage* page);
  int unmark_page_reclaimable(EpcPage* page);

  // sgx_reclaim_pages_global: SGX_NR_TO_SCAN pages scanned from the groups of the whole
  // tree in turn (cgroup_reclaim_pages from the root).
  void reclaim_pages();
  // sgx_reclaim_pages(&cg->lru): one batch of up to SGX_NR_TO_SCAN pages from `cg`'s own
  // LRU; how many it took off the LRU (reclaim.cc).
  unsigned reclaim_pages(EpcCgroup& cg) EXCLUDES(cg.lru_lock);
  // sgx_should_reclaim_global: fewer than `watermark` free pages and something on an LRU.
  bool should_reclaim(uint64_t watermark);
  // sgx_reclaim_direct: the current task's group's pass if it should reclaim, then a
  // global one if free pages are below the low watermark.
  void reclaim_direct();

  // Manual mode: one iteration of ksgxd's loop (the queued group reclaim work, then
  // reclaim while below the high watermark); returns how many batches it ran.
  int ksgxd_step();

  // --- EPC cgroups (epc_cgroup.cc) ---
  EpcCgroups& cgroups() { return cgroups_; }
  // sgx_cgroup_try_charge: one page charged to `cg` and its ancestors. At a limit:
  // -ENOMEM when nothing is on the LRUs of `cg`'s subtree, -ERESTARTSYS on a signal,
  // -EBUSY without `reclaim` (the group's reclaim work queued for ksgxd), else a pass of
  // cgroup_reclaim_pages over `cg`'s subtree and again.
  int cgroup_try_charge(EpcCgroup& cg, bool reclaim);
  void cgroup_uncharge(EpcCgroup& cg);
  // sgx_cgroup_lru_empty: no page on the LRU of `root` or of any descendant.
  bool cgroup_lru_empty(const EpcCgroup& root);
  // sgx_cgroup_reclaim_pages: batches from the groups of `root`'s subtree in round robin
  // until `nr_to_scan` pages were scanned or the subtree's LRUs are empty.
  void cgroup_reclaim_pages(EpcCgroup& root, unsigned nr_to_scan);
  // sgx_cgroup_should_reclaim: something on the subtree's LRUs, and `cg`'s usage at the
  // lowest limit on its path to the root (less SGX_NR_LOW_PAGES unless that limit is
  // under four times that).
  bool cgroup_should_reclaim(EpcCgroup& cg);
  // sgx_cgroup_reclaim_direct: for the current task's group.
  void cgroup_reclaim_direct();
  // The queued reclaim work (what ksgxd runs for sgx_cg_wq); how many batches it ran.
  int run_cgroup_work();
  bool cgroup_work_pending() const {
    return cgroup_work_pending_.load(std::memory_order_acquire) != 0;
  }

  uint64_t nr_free_pages() const { return nr_free_pages_.load(std::memory_order_acquire); }
  uint64_t total_pages() const { return pages_.size(); }
  uint64_t low_watermark() const { return low_; }
  uint64_t high_watermark() const { return high_; }
  // Pages on every group's LRU (tracked pages a reclaimer has taken off are not counted).
  uint64_t lru_pages();
  // How often ksgxd was woken: in manual mode, the wake-ups a test may answer.
  uint64_t ksgxd_wakeups() const { return wakeups_.load(std::memory_order_relaxed); }
  // Whether the sanitization pass has put every page it could on the free lists.
  bool sanitized() const { return sanitized_.load(std::memory_order_acquire); }

  // A driver WARN: a leaf failed where Linux does not expect it to. Counted by message;
  // a test fails on any. The total takes no lock: a controlled run's strategy reads it
  // at every decision, where a lock would be a scheduling point inside the scheduler.
  void warn(const std::string& what) EXCLUDES(warn_mu_);
  uint64_t warnings() const { return warned_.load(std::memory_order_acquire); }
  std::map<std::string, uint64_t> warning_counts() const EXCLUDES(warn_mu_);

  // Scratch RAM of the calling task's CPU for ENCLS operands (Linux builds PAGEINFO,
  // SECINFO and the like on the kernel stack; a frame per CPU is our stack). The task
  // holds its CPU while it uses them, so no one else does.
  hw::PAddr cpu_operands() const;  // PAGEINFO at 0, SECINFO at 64
  hw::PAddr cpu_page() const;      // a whole page: a SECS, a SIGSTRUCT and its token

 private:
  struct Node {
    sched::Mutex lock{"sgx.node.free"};
    PageList free_page_list GUARDED_BY(lock);
  };

  EpcPage* alloc_epc_page_from_node(int nid);
  EpcPage* alloc_epc_page_any_node();
  void sanitize_pages(PageList& dirty);
  void ksgxd();
  void wake_ksgxd();

  // reclaim.cc
  bool reclaimer_age(EpcPage* epc_page);
  void reclaimer_block(EpcPage* epc_page);

  // epc_cgroup.cc
  void queue_cgroup_work(EpcCgroup& cg);

  kernel::Kernel& k_;
  Options o_;
  std::vector<EpcPage> pages_;
  std::vector<std::unique_ptr<Node>> nodes_;
  uint64_t low_;
  uint64_t high_;
  std::atomic<uint64_t> nr_free_pages_{0};
  std::atomic<bool> sanitized_{false};

  // The groups, their LRUs (the global LRU is the root's) and their queued work.
  EpcCgroups cgroups_;
  std::atomic<uint64_t> cgroup_work_pending_{0};

  // Pages from before boot, until sanitized; only ksgxd (or the constructor) uses it.
  PageList dirty_page_list_;

  mutable sched::Mutex warn_mu_{"sgx.warnings"};
  std::map<std::string, uint64_t> warnings_ GUARDED_BY(warn_mu_);
  std::atomic<uint64_t> warned_{0};

  std::vector<hw::PAddr> scratch_;  // two frames per CPU

  std::atomic<uint64_t> wakeups_{0};
  kernel::WaitQueue ksgxd_waitq_{"ksgxd_waitq"};
  std::unique_ptr<kernel::Kthread> ksgxd_;
};

}  // namespace sgxref::driver
