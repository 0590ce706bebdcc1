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

// ksgxd: sanitize, then reclaim whenever free pages run below the high watermark.
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
    ksgxd_waitq_.wait_event(
        [this] { return kernel::kthread_should_stop() || should_reclaim(high_); });
    if (should_reclaim(high_)) {
      kernel::CpuHold cpu;
      reclaim_pages();
    }
    sched::point("ksgxd.cond_resched");
  }
}

int Sgx::ksgxd_step() {
  kernel::CpuHold cpu;
  int batches = 0;
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
  sched::MutexLock l(reclaimer_lock_);
  return !active_page_list_.empty();
}

void Sgx::reclaim_direct() {
  if (should_reclaim(low_)) reclaim_pages();
}

uint64_t Sgx::lru_pages() const {
  sched::MutexLock l(reclaimer_lock_);
  return active_page_list_.size();
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
  ErrPtr<EpcPage> page(nullptr);
  for (;;) {
    if (EpcPage* p = alloc_epc_page_any_node()) {
      p->owner = owner;
      page = p;
      break;
    }
    {
      sched::MutexLock l(reclaimer_lock_);
      if (active_page_list_.empty()) {
        page = ErrPtr<EpcPage>::error(-ENOMEM);
        break;
      }
    }
    if (!reclaim) {
      page = ErrPtr<EpcPage>::error(-EBUSY);
      break;
    }
    if (kernel::current().signal_pending()) {
      page = ErrPtr<EpcPage>::error(-ERESTARTSYS);
      break;
    }
    reclaim_pages();
    sched::point("sgx_alloc_epc_page.cond_resched");
  }
  if (should_reclaim(low_)) wake_ksgxd();
  return page;
}

void Sgx::free_epc_page(EpcPage* page) {
  Node& node = *nodes_[page->section];
  {
    sched::MutexLock l(node.lock);
    page->owner = nullptr;
    node.free_page_list.push_back(page);
    page->flags = SGX_EPC_PAGE_IS_FREE;
  }
  nr_free_pages_.fetch_add(1, std::memory_order_acq_rel);
}

void Sgx::mark_page_reclaimable(EpcPage* page) {
  sched::MutexLock l(reclaimer_lock_);
  page->flags |= SGX_EPC_PAGE_RECLAIMER_TRACKED;
  active_page_list_.push_back(page);
}

int Sgx::unmark_page_reclaimable(EpcPage* page) {
  sched::MutexLock l(reclaimer_lock_);
  if (page->flags & SGX_EPC_PAGE_RECLAIMER_TRACKED) {
    // Tracked but on no list: ksgxd has it in its batch.
    if (!page->linked) return -EBUSY;
    active_page_list_.remove(page);
    page->flags &= ~SGX_EPC_PAGE_RECLAIMER_TRACKED;
  }
  return 0;
}

void Sgx::warn(const std::string& what) {
  sched::MutexLock l(warn_mu_);
  ++warnings_[what];
}

uint64_t Sgx::warnings() const {
  sched::MutexLock l(warn_mu_);
  uint64_t n = 0;
  for (const auto& [what, count] : warnings_) n += count;
  return n;
}

std::map<std::string, uint64_t> Sgx::warning_counts() const {
  sched::MutexLock l(warn_mu_);
  return warnings_;
}

}  // namespace sgxref::driver
