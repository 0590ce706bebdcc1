// The sgx_epc misc cgroup resource (kernel/cgroup/misc.c's counters) and the SGX side
// of the EPC controller (the series' epc_cgroup.c): the reclaim-aware charge, the
// per-group reclaim over a subtree in round robin, and the reclaim work ksgxd runs for
// groups at their limit.
#include "driver/epc_cgroup.h"

#include <algorithm>
#include <utility>

#include "driver/main.h"
#include "kernel/errno.h"
#include "kernel/kthread.h"
#include "kernel/task.h"

namespace sgxref::driver {

using kernel::ERESTARTSYS;

EpcCgroup::EpcCgroup(std::string name, EpcCgroup* parent)
    : name_(std::move(name)), parent_(parent), depth_(parent ? parent->depth_ + 1 : 0) {}

int EpcCgroup::misc_try_charge() {
  for (EpcCgroup* i = this; i != nullptr; i = i->parent_) {
    const uint64_t new_usage = i->usage_.fetch_add(1, std::memory_order_acq_rel) + 1;
    if (new_usage > i->max()) {
      // misc_cg_event: the local count of the group at its limit, and the hierarchical
      // count of it and its ancestors (the root has no events file).
      i->events_local_.fetch_add(1, std::memory_order_acq_rel);
      for (EpcCgroup* j = i; j->parent_ != nullptr; j = j->parent_) {
        j->events_.fetch_add(1, std::memory_order_acq_rel);
      }
      for (EpcCgroup* j = this; j != i; j = j->parent_) {
        j->usage_.fetch_sub(1, std::memory_order_acq_rel);
      }
      i->usage_.fetch_sub(1, std::memory_order_acq_rel);
      return -EBUSY;
    }
    // misc_cg_update_watermark: kept even if an ancestor then refuses, as in misc.c.
    uint64_t old = i->watermark_.load(std::memory_order_acquire);
    while (new_usage > old && !i->watermark_.compare_exchange_weak(old, new_usage)) {
    }
  }
  return 0;
}

bool EpcCgroup::misc_uncharge() {
  bool underflow = false;
  for (EpcCgroup* i = this; i != nullptr; i = i->parent_) {
    if (i->usage_.fetch_sub(1, std::memory_order_acq_rel) == 0) underflow = true;
  }
  return !underflow;
}

uint64_t EpcCgroup::lru_pages() const {
  sched::MutexLock l(lru_lock);
  return lru.size();
}

EpcCgroups::EpcCgroups() {
  sched::MutexLock l(mu_);
  groups_.push_back(std::make_unique<EpcCgroup>("", nullptr));
  root_ = groups_.back().get();
  auto first = std::make_unique<Snapshot>();
  first->preorder.push_back(root_);
  publish(std::move(first));
}

void EpcCgroups::publish(std::unique_ptr<Snapshot> next) {
  snapshot_.store(next.get());
  snapshots_.push_back(std::move(next));
}

EpcCgroup& EpcCgroups::create(EpcCgroup& parent, const std::string& name) {
  sched::MutexLock l(mu_);
  groups_.push_back(std::make_unique<EpcCgroup>(name, &parent));
  EpcCgroup* cg = groups_.back().get();
  auto next = std::make_unique<Snapshot>(*snapshot_.load());
  // Last among the parent's descendants keeps the order a pre-order.
  const EpcCgroup* last = subtree_of(*next, parent).back();
  next->preorder.insert(std::find(next->preorder.begin(), next->preorder.end(), last) + 1, cg);
  publish(std::move(next));
  return *cg;
}

void EpcCgroups::attach(const kernel::Process& p, EpcCgroup& cg) {
  sched::MutexLock l(mu_);
  auto next = std::make_unique<Snapshot>(*snapshot_.load());
  next->procs[&p] = &cg;
  publish(std::move(next));
}

EpcCgroup& EpcCgroups::cgroup_of(const kernel::Process* p) {
  const Snapshot& s = *snapshot_.load();
  const auto it = s.procs.find(p);
  return it == s.procs.end() ? *root_ : *it->second;
}

EpcCgroup& EpcCgroups::current_cgroup() { return cgroup_of(kernel::current().process()); }

std::vector<EpcCgroup*> EpcCgroups::subtree_of(const Snapshot& s, const EpcCgroup& cg) {
  auto it = std::find(s.preorder.begin(), s.preorder.end(), &cg);
  std::vector<EpcCgroup*> out{*it};
  for (++it; it != s.preorder.end() && (*it)->depth() > cg.depth(); ++it) out.push_back(*it);
  return out;
}

std::vector<EpcCgroup*> EpcCgroups::subtree(const EpcCgroup& cg) const {
  return subtree_of(*snapshot_.load(), cg);
}

EpcCgroup& EpcCgroups::next_get(EpcCgroup& root) {
  EpcCgroup* p = root.next_cg_.load();
  for (;;) {
    // Loaded after `p`, so it holds every group `p` could be.
    const std::vector<EpcCgroup*> walk = subtree_of(*snapshot_.load(), root);
    const auto at = std::find(walk.begin(), walk.end(), p);
    EpcCgroup* next = at + 1 == walk.end() ? &root : *(at + 1);
    if (root.next_cg_.compare_exchange_weak(p, next)) return *p;
  }
}

bool Sgx::cgroup_lru_empty(const EpcCgroup& root) {
  for (EpcCgroup* cg : cgroups_.subtree(root)) {
    sched::MutexLock l(cg->lru_lock);
    if (!cg->lru.empty()) return false;
  }
  return true;
}

void Sgx::cgroup_reclaim_pages(EpcCgroup& root, unsigned nr_to_scan) {
  unsigned cnt = 0;
  while (cnt < nr_to_scan && !cgroup_lru_empty(root)) {
    cnt += reclaim_pages(cgroups_.next_get(root));
  }
}

bool Sgx::cgroup_should_reclaim(EpcCgroup& cg) {
  // The limit first, then the LRU walk (the series walks first; both only read, and
  // this order spares the root-only driver the walk).
  uint64_t max = kNoLimit;
  for (const EpcCgroup* i = &cg; i != nullptr; i = i->parent()) max = std::min(max, i->max());
  // Unless the limit is small, keep SGX_NR_LOW_PAGES of room below it for the next
  // charge (SGX_CG_MIN_FREE_PAGE, SGX_CG_LOW_LIMIT).
  if (max > 4 * low_) max -= low_;
  if (cg.current() < max) return false;
  return !cgroup_lru_empty(cg);
}

void Sgx::cgroup_reclaim_direct() {
  EpcCgroup& cg = cgroups_.current_cgroup();
  if (cgroup_should_reclaim(cg)) cgroup_reclaim_pages(cg, SGX_NR_TO_SCAN);
}

int Sgx::cgroup_try_charge(EpcCgroup& cg, bool reclaim) {
  for (;;) {
    if (cg.misc_try_charge() == 0) return 0;
    if (cgroup_lru_empty(cg)) return -ENOMEM;
    if (kernel::current().signal_pending()) return -ERESTARTSYS;
    if (!reclaim) {
      queue_cgroup_work(cg);
      return -EBUSY;
    }
    cgroup_reclaim_pages(cg, 1);
    sched::point("sgx_cgroup_try_charge.cond_resched");
  }
}

void Sgx::cgroup_uncharge(EpcCgroup& cg) {
  if (!cg.misc_uncharge()) warn("misc cgroup resource sgx_epc became less than 0");
}

// queue_work(sgx_cg_wq, &sgx_cg->reclaim_work): ksgxd runs it. Not a ksgxd wake-up for
// the global reclaim, so ksgxd_wakeups() does not count it.
void Sgx::queue_cgroup_work(EpcCgroup& cg) {
  if (cg.work_queued_.exchange(true, std::memory_order_acq_rel)) return;
  cgroup_work_pending_.fetch_add(1, std::memory_order_acq_rel);
  ksgxd_waitq_.wake_up();
}

// sgx_cgroup_reclaim_work_func for every queued group. A work item leaves the queue
// before it runs, so a charge failing meanwhile queues it again.
int Sgx::run_cgroup_work() {
  if (!cgroup_work_pending()) return 0;
  int batches = 0;
  for (EpcCgroup* cg : cgroups_.subtree(cgroups_.root())) {
    if (!cg->work_queued_.exchange(false, std::memory_order_acq_rel)) continue;
    cgroup_work_pending_.fetch_sub(1, std::memory_order_acq_rel);
    // A stopping ksgxd leaves the rest, as the workqueue is drained no further.
    while (!kernel::kthread_should_stop() && cgroup_should_reclaim(*cg)) {
      cgroup_reclaim_pages(*cg, SGX_NR_TO_SCAN);
      ++batches;
      sched::point("sgx_cgroup_reclaim_work_func.cond_resched");
    }
  }
  return batches;
}

}  // namespace sgxref::driver
