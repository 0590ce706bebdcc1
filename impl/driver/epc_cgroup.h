// File: EPC accounting as the misc cgroup's "sgx_epc" resource (the EPC controller of the
// "Add Cgroup support for SGX EPC memory" series, v16; docs/epc-accounting.md): a group
// with its page limit, usage, peak and event counts and its own LRU of reclaimable
// pages, and the hierarchy of groups with the processes attached to them. The
// reclaim-aware charge (sgx_cgroup_try_charge) is Sgx's (epc_cgroup.cc), since it
// reclaims.
//
// Lock order: mmap_lock, an enclave's lock, then the leaves: EpcCgroups' registry lock
// (taken only to create a group or attach a process) and each group's lru_lock, neither
// held while taking the other nor any other driver lock. Walks of the tree take no lock:
// they read a published snapshot, as Linux's walks run under rcu_read_lock, and take
// each LRU's lock alone.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "driver/epc_page.h"
#include "sched/mutex.h"

namespace sgxref::kernel {
class Process;
}

namespace sgxref::driver {

// misc.max's "max": no limit.
inline constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

// One misc cgroup's sgx_epc resource (misc_res) and its struct sgx_cgroup. Counts are
// pages; `current` is the group's usage with its descendants', as misc.current shows.
class EpcCgroup {
 public:
  EpcCgroup(std::string name, EpcCgroup* parent);
  EpcCgroup(const EpcCgroup&) = delete;
  EpcCgroup& operator=(const EpcCgroup&) = delete;

  const std::string& name() const { return name_; }
  EpcCgroup* parent() const { return parent_; }
  int depth() const { return depth_; }

  // misc.max (pages). Lowering it below `current` takes nothing back: the series
  // enforces a limit only when a page is charged.
  uint64_t max() const { return max_.load(std::memory_order_acquire); }
  void set_max(uint64_t pages) { max_.store(pages, std::memory_order_release); }
  // misc.current, misc.peak, misc.events "max", misc.events.local "max".
  uint64_t current() const { return usage_.load(std::memory_order_acquire); }
  uint64_t peak() const { return watermark_.load(std::memory_order_acquire); }
  uint64_t events() const { return events_.load(std::memory_order_acquire); }
  uint64_t events_local() const { return events_local_.load(std::memory_order_acquire); }

  // misc_cg_try_charge of one page: added to this group and every ancestor, or (when one
  // of them would pass its max) to none, with that group's events counted: -EBUSY.
  int misc_try_charge();
  // misc_cg_uncharge of one page from this group and every ancestor; false if a usage
  // was already zero (misc_cg_cancel_charge's WARN).
  bool misc_uncharge();

  // Pages on this group's own LRU (tracked pages a reclaimer holds are not counted).
  uint64_t lru_pages() const EXCLUDES(lru_lock);
  // Whether reclaim work for this group is waiting for ksgxd (sgx_cg_wq's queue).
  bool work_queued() const { return work_queued_.load(std::memory_order_acquire); }

  // The group's LRU (sgx_cg->lru): its reclaimable pages, oldest first.
  mutable sched::Mutex lru_lock{"sgx_cg->lru.lock"};
  PageList lru GUARDED_BY(lru_lock);

 private:
  friend class EpcCgroups;
  friend class Sgx;

  const std::string name_;
  EpcCgroup* const parent_;
  const int depth_;
  std::atomic<uint64_t> max_{kNoLimit};
  std::atomic<uint64_t> usage_{0};
  std::atomic<uint64_t> watermark_{0};
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> events_local_{0};
  std::atomic<bool> work_queued_{false};
  // Where the next reclaim of this group's subtree starts (sgx_cg->next_cg).
  std::atomic<EpcCgroup*> next_cg_{this};
};

// The misc cgroup hierarchy as far as sgx_epc sees it: the root (no limit) and groups
// made under it, never removed; the processes attached to each.
class EpcCgroups {
 public:
  EpcCgroups();
  EpcCgroups(const EpcCgroups&) = delete;
  EpcCgroups& operator=(const EpcCgroups&) = delete;

  EpcCgroup& root() { return *root_; }
  // mkdir of `name` under `parent`.
  EpcCgroup& create(EpcCgroup& parent, const std::string& name) EXCLUDES(mu_);
  // A write of the process to the group's cgroup.procs: its later allocations are
  // charged there; what it already holds stays charged where it was.
  void attach(const kernel::Process& p, EpcCgroup& cg) EXCLUDES(mu_);
  // The group of `p`'s tasks: the root for a process never attached, or for none (a
  // kernel thread).
  EpcCgroup& cgroup_of(const kernel::Process* p);
  // sgx_get_current_cg: the group of the current task.
  EpcCgroup& current_cgroup();

  // `cg` and its descendants in pre-order (the css_for_each_descendant_pre walk).
  std::vector<EpcCgroup*> subtree(const EpcCgroup& cg) const;
  // sgx_cgroup_next_get: the group of `root`'s subtree whose turn it is to be reclaimed
  // from, the turn passing to the next in pre-order (back to `root` after the last).
  EpcCgroup& next_get(EpcCgroup& root);

 private:
  // The tree and the attachments as published: replaced whole by create and attach,
  // never changed once readers can see it.
  struct Snapshot {
    // Every group in pre-order: a subtree is the run from its root while deeper.
    std::vector<EpcCgroup*> preorder;
    std::map<const kernel::Process*, EpcCgroup*> procs;
  };
  static std::vector<EpcCgroup*> subtree_of(const Snapshot& s, const EpcCgroup& cg);
  void publish(std::unique_ptr<Snapshot> next) REQUIRES(mu_);

  mutable sched::Mutex mu_{"sgx_cgroups"};
  std::vector<std::unique_ptr<EpcCgroup>> groups_ GUARDED_BY(mu_);
  // Every snapshot ever published: a reader may hold any of them, and groups are never
  // removed, so they go with the registry (a grace period that ends at teardown).
  std::vector<std::unique_ptr<const Snapshot>> snapshots_ GUARDED_BY(mu_);
  std::atomic<const Snapshot*> snapshot_{nullptr};
  EpcCgroup* root_ = nullptr;
};

}  // namespace sgxref::driver
