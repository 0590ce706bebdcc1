#include "driver/main.h"

#include <algorithm>
#include <stdexcept>

#include "driver/encls.h"
#include "hw/cpu.h"
#include "kernel/errno.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"

namespace sgxref::driver {

using kernel::ENOIOCTLCMD;
using kernel::ERESTARTSYS;

namespace {

// The NUMA node of a CPU: CPUs spread evenly over the nodes, in order.
int cpu_to_node(uint32_t cpu, uint32_t cpus, size_t nodes) {
  return int(uint64_t(cpu) * nodes / cpus);
}

}  // namespace

Sgx::Sgx(kernel::Kernel& k, const Options& o) : k_(k), o_(o) {
  hw::Machine& m = k.machine();
  const std::vector<hw::Machine::EpcSection> sections = m.epc_sections();
  pages_.resize(m.epc_pages());
  for (size_t s = 0; s < sections.size(); ++s) {
    nodes_.push_back(std::make_unique<Node>());
    const uint32_t first = *m.epc_slot(sections[s].base);
    for (uint32_t i = 0; i < sections[s].pages; ++i) {
      EpcPage& p = pages_[first + i];
      p.addr = m.epc_addr(first + i);
      p.section = uint32_t(s);
      dirty_page_list_.push_back(&p);
    }
  }
  // DESIGN.md's watermarks: Linux's 32 and 64, scaled down for the small EPCs of tests.
  low_ = std::min<uint64_t>(32, std::max<uint64_t>(2, pages_.size() / 32));
  high_ = 2 * low_;
  for (uint32_t c = 0; c < m.cpu_count(); ++c) {
    for (int i = 0; i < 2; ++i) {
      const hw::PAddr f = m.ram().alloc();
      if (f == 0) throw std::runtime_error("sgx: no RAM for the per-CPU ENCLS scratch frames");
      scratch_.push_back(f);
    }
  }
  if (o_.ksgxd_thread) {
    ksgxd_ = std::make_unique<kernel::Kthread>(k, "ksgxd", ksgxd_waitq_, [this] { ksgxd(); });
  } else {
    kernel::CpuHold cpu;
    sanitize_pages(dirty_page_list_);
    sanitize_pages(dirty_page_list_);
    sanitized_.store(true, std::memory_order_release);
  }
}

Sgx::~Sgx() {
  if (ksgxd_) ksgxd_->stop();
  for (hw::PAddr f : scratch_) k_.machine().ram().free(f);
}

hw::PAddr Sgx::cpu_operands() const { return scratch_.at(2 * kernel::this_cpu().id()); }
hw::PAddr Sgx::cpu_page() const { return scratch_.at(2 * kernel::this_cpu().id() + 1); }

// __sgx_sanitize_pages: EREMOVE every page left from before. A SECS whose children
// are still there answers SGX_CHILD_PRESENT and waits for the second pass.
void Sgx::sanitize_pages(PageList& dirty) {
  PageList again;
  while (!dirty.empty()) {
    if (kernel::kthread_should_stop()) break;
    EpcPage* page = dirty.pop_front();
    const hw::Result r = kernel::this_cpu().eremove(page->addr);
    if (r.succeeded()) {
      free_epc_page(page);
    } else {
      again.push_back(page);
    }
  }
  while (!again.empty()) dirty.push_back(again.pop_front());
}

// ksgxd: sanitize, then run the groups' queued reclaim work and reclaim whenever free
// pages run below the high watermark.
void Sgx::ksgxd() {
  {
    kernel::CpuHold cpu;
    sanitize_pages(dirty_page_list_);
    sanitize_pages(dirty_page_list_);
    // Pages left after the second pass are a WARN, unless ksgxd was stopped meanwhile
    // (133e049a3f8c: a premature stop is no failure).
    if (!dirty_page_list_.empty() && !kernel::kthread_should_stop()) warn("sanitization left dirty pages");
  }
  sanitized_.store(true, std::memory_order_release);
  while (!kernel::kthread_should_stop()) {
    ksgxd_waitq_.wait_event([this] {
      return kernel::kthread_should_stop() || cgroup_work_pending() || should_reclaim(high_);
    });
    if (cgroup_work_pending()) {
      kernel::CpuHold cpu;
      run_cgroup_work();
    }
    if (should_reclaim(high_)) {
      kernel::CpuHold cpu;
      reclaim_pages();
    }
    sched::point("ksgxd.cond_resched");
  }
}

int Sgx::ksgxd_step() {
  kernel::CpuHold cpu;
  int batches = run_cgroup_work();
  while (should_reclaim(high_)) {
    reclaim_pages();
    ++batches;
  }
  return batches;
}

void Sgx::wake_ksgxd() {
  wakeups_.fetch_add(1, std::memory_order_relaxed);
  ksgxd_waitq_.wake_up();
}

bool Sgx::should_reclaim(uint64_t watermark) {
  if (nr_free_pages() >= watermark) return false;
  return !cgroup_lru_empty(cgroups_.root());
}

void Sgx::reclaim_pages() { cgroup_reclaim_pages(cgroups_.root(), SGX_NR_TO_SCAN); }

void Sgx::reclaim_direct() {
  cgroup_reclaim_direct();
  if (should_reclaim(low_)) reclaim_pages();
}

uint64_t Sgx::lru_pages() {
  uint64_t n = 0;
  for (const EpcCgroup* cg : cgroups_.subtree(cgroups_.root())) n += cg->lru_pages();
  return n;
}

EpcPage* Sgx::alloc_epc_page_from_node(int nid) {
  Node& node = *nodes_[nid];
  sched::MutexLock l(node.lock);
  if (node.free_page_list.empty()) return nullptr;
  EpcPage* page = node.free_page_list.pop_front();
  page->flags = 0;
  nr_free_pages_.fetch_sub(1, std::memory_order_acq_rel);
  return page;
}

// __sgx_alloc_epc_page: the current CPU's node first, then every node in turn from the
// next one, each once (the round-robin search that cannot spin forever).
EpcPage* Sgx::alloc_epc_page_any_node() {
  if (k_.faults().should_fail(kernel::FailPoint::kEpcAlloc)) return nullptr;
  const int n = int(nodes_.size());
  const int local = cpu_to_node(kernel::this_cpu().id(), k_.machine().cpu_count(), nodes_.size());
  for (int i = 0; i < n; ++i) {
    if (EpcPage* page = alloc_epc_page_from_node((local + i) % n)) return page;
  }
  return nullptr;
}

ErrPtr<EpcPage> Sgx::alloc_epc_page(EnclPage* owner, bool reclaim) {
  return alloc_epc_page(owner, reclaim, cgroups_.current_cgroup());
}

// The charge first; a charge that then gets no page is dropped.
ErrPtr<EpcPage> Sgx::alloc_epc_page(EnclPage* owner, bool reclaim, EpcCgroup& cg) {
  if (int ret = cgroup_try_charge(cg, reclaim); ret != 0) return ErrPtr<EpcPage>::error(ret);
  ErrPtr<EpcPage> page(nullptr);
  for (;;) {
    if (EpcPage* p = alloc_epc_page_any_node()) {
      p->owner = owner;
      page = p;
      break;
    }
    if (cgroup_lru_empty(cgroups_.root())) {
      page = ErrPtr<EpcPage>::error(-ENOMEM);
      break;
    }
    if (!reclaim) {
      page = ErrPtr<EpcPage>::error(-EBUSY);
      break;
    }
    if (kernel::current().signal_pending()) {
      page = ErrPtr<EpcPage>::error(-ERESTARTSYS);
      break;
    }
    // Under its limit, but the EPC is full: any group's pages may go.
    reclaim_pages();
    sched::point("sgx_alloc_epc_page.cond_resched");
  }
  if (page.is_err()) {
    cgroup_uncharge(cg);
  } else {
    page->cg = &cg;
  }
  if (should_reclaim(low_)) wake_ksgxd();
  return page;
}

void Sgx::free_epc_page(EpcPage* page) {
  // Pages freed by sanitization were never charged.
  if (page->cg != nullptr) {
    cgroup_uncharge(*page->cg);
    page->cg = nullptr;
  }
  Node& node = *nodes_[page->section];
  {
    sched::MutexLock l(node.lock);
    page->owner = nullptr;
    node.free_page_list.push_back(page);
    page->flags = SGX_EPC_PAGE_IS_FREE;
  }
  nr_free_pages_.fetch_add(1, std::memory_order_acq_rel);
}

// sgx_epc_page_lru: the LRU of the group charged for the page.
void Sgx::mark_page_reclaimable(EpcPage* page) {
  EpcCgroup& cg = *page->cg;
  sched::MutexLock l(cg.lru_lock);
  page->flags |= SGX_EPC_PAGE_RECLAIMER_TRACKED;
  cg.lru.push_back(page);
}

int Sgx::unmark_page_reclaimable(EpcPage* page) {
  EpcCgroup& cg = *page->cg;
  sched::MutexLock l(cg.lru_lock);
  if (page->flags & SGX_EPC_PAGE_RECLAIMER_TRACKED) {
    // Tracked but on no list: a reclaimer has it in its batch.
    if (!page->linked) return -EBUSY;
    cg.lru.remove(page);
    page->flags &= ~SGX_EPC_PAGE_RECLAIMER_TRACKED;
  }
  return 0;
}

void Sgx::warn(const std::string& what) {
  sched::MutexLock l(warn_mu_);
  ++warnings_[what];
  warned_.fetch_add(1, std::memory_order_acq_rel);
}

std::map<std::string, uint64_t> Sgx::warning_counts() const {
  sched::MutexLock l(warn_mu_);
  return warnings_;
}

}  // namespace sgxref::driver
