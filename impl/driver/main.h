// File: the SGX core of the driver (Linux's main.c and sgx.h): the EPC as per-section
// free lists, the allocator every enclave page comes from, the reclaimer's LRU and
// ksgxd, the sanitization of pages left from before, and the per-CPU scratch memory
// ENCLS operands are built in. Driver WARNs are counted here.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

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

  // sgx_alloc_epc_page: a free page for `owner` (null for a VA page). With nothing
  // free, reclaims synchronously if `reclaim` allows, else -EBUSY; -ENOMEM when
  // nothing is reclaimable; -ERESTARTSYS on a pending signal. Wakes ksgxd below the low
  // watermark.
  ErrPtr<EpcPage> alloc_epc_page(EnclPage* owner, bool reclaim) EXCLUDES(reclaimer_lock_);
  // sgx_free_epc_page: back on its section's free list. The page must be invalid
  // (EREMOVEd, or written out by EWB) and tracked by nobody.
  void free_epc_page(EpcPage* page);
  // sgx_mark_page_reclaimable / sgx_unmark_page_reclaimable: onto and off the LRU.
  // Unmarking a page ksgxd has already taken off the LRU answers -EBUSY.
  void mark_page_reclaimable(EpcPage* page) EXCLUDES(reclaimer_lock_);
  int unmark_page_reclaimable(EpcPage* page) EXCLUDES(reclaimer_lock_);

  // sgx_reclaim_pages: one batch of up to SGX_NR_TO_SCAN pages (reclaim.cc).
  void reclaim_pages() EXCLUDES(reclaimer_lock_);
  // sgx_should_reclaim: fewer than `watermark` free pages and something on the LRU.
  bool should_reclaim(uint64_t watermark) EXCLUDES(reclaimer_lock_);
  // sgx_reclaim_direct: a batch now if free pages are below the low watermark.
  void reclaim_direct();

  // Manual mode: one iteration of ksgxd's loop (reclaim while below the high
  // watermark); returns how many batches it ran.
  int ksgxd_step();

  uint64_t nr_free_pages() const { return nr_free_pages_.load(std::memory_order_acquire); }
  uint64_t total_pages() const { return pages_.size(); }
  uint64_t low_watermark() const { return low_; }
  uint64_t high_watermark() const { return high_; }
  // Pages on the LRU (tracked pages ksgxd has taken off it are not counted).
  uint64_t lru_pages() const EXCLUDES(reclaimer_lock_);
  // How often ksgxd was woken: in manual mode, the wake-ups a test may answer.
  uint64_t ksgxd_wakeups() const { return wakeups_.load(std::memory_order_relaxed); }
  // Whether the sanitization pass has put every page it could on the free lists.
  bool sanitized() const { return sanitized_.load(std::memory_order_acquire); }

  // A driver WARN: a leaf failed where Linux does not expect it to. Counted by message;
  // a test fails on any.
  void warn(const std::string& what) EXCLUDES(warn_mu_);
  uint64_t warnings() const EXCLUDES(warn_mu_);
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

  kernel::Kernel& k_;
  Options o_;
  std::vector<EpcPage> pages_;
  std::vector<std::unique_ptr<Node>> nodes_;
  uint64_t low_;
  uint64_t high_;
  std::atomic<uint64_t> nr_free_pages_{0};
  std::atomic<bool> sanitized_{false};

  mutable sched::Mutex reclaimer_lock_{"sgx_reclaimer_lock"};
  PageList active_page_list_ GUARDED_BY(reclaimer_lock_);

  // Pages from before boot, until sanitized; only ksgxd (or the constructor) uses it.
  PageList dirty_page_list_;

  mutable sched::Mutex warn_mu_{"sgx.warnings"};
  std::map<std::string, uint64_t> warnings_ GUARDED_BY(warn_mu_);

  std::vector<hw::PAddr> scratch_;  // two frames per CPU

  std::atomic<uint64_t> wakeups_{0};
  kernel::WaitQueue ksgxd_waitq_{"ksgxd_waitq"};
  std::unique_ptr<kernel::Kthread> ksgxd_;
};

}  // namespace sgxref::driver
