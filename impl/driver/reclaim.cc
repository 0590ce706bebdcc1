// The reclaimer (Linux's main.c): a batch of pages taken off the LRU, aged, blocked and
// written out to their enclave's backing store, with the SECS following its last child.
#include <array>
#include <memory>

#include "driver/encl.h"
#include "driver/encls.h"
#include "driver/main.h"
#include "driver/operands.h"
#include "hw/cpu.h"
#include "kernel/errno.h"
#include "kernel/task.h"

namespace sgxref::driver {

namespace {

// One page of the batch, with the enclave reference that keeps its owner alive.
struct Chunk {
  EpcPage* epc_page = nullptr;
  std::shared_ptr<Encl> encl;
  Backing backing;
};

}  // namespace

// sgx_reclaimer_age: whether no address space touched the page since the last pass.
bool Sgx::reclaimer_age(EpcPage* epc_page) {
  EnclPage& page = *epc_page->owner;
  Encl& encl = *page.encl;
  for (const auto& encl_mm : encl.mm_list()) {
    kernel::Mm& mm = encl_mm->mm();
    const kernel::MmUser user(mm);
    if (!user) continue;
    sched::ReaderLock mmap(mm.mmap_lock);
    if (encl.test_and_clear_young(mm, page)) return false;
  }
  return true;
}

// sgx_reclaimer_block: no address space maps the page any more, then EBLOCK.
void Sgx::reclaimer_block(EpcPage* epc_page) {
  EnclPage& page = *epc_page->owner;
  Encl& encl = *page.encl;
  encl.zap_enclave_ptes(page.desc);
  sched::MutexLock l(encl.lock);
  const hw::Result r = kernel::this_cpu().eblock(epc_page->addr);
  if (encls_failed(r)) warn("EBLOCK");
}

hw::Result Encl::ewb_leaf(EpcPage* epc_page, hw::PAddr va_slot, const Backing& b) {
  const hw::PAddr pginfo = put_pageinfo(sgx_, 0, b.contents, b.pcmd + b.pcmd_offset, 0);
  return kernel::this_cpu().ewb(pginfo, epc_page->addr, va_slot);
}

// sgx_encl_ewb: EWB into a slot of the first VA page. Not tracked: ETRACK and again;
// still not tracked: IPI every CPU that may run the enclave (the mask taken after the
// ETRACK, or before it with reclaim.ipi-mask=before-etrack) and again. A failure then
// loses the contents: a WARN.
void Encl::ewb(EpcPage* epc_page, const Backing& b) {
  EnclPage& encl_page = *epc_page->owner;
  encl_page.being_reclaimed = false;
  VaPage* va_page = va_pages.front().get();
  const uint32_t va_offset = va_page->alloc_slot();
  const hw::PAddr va_slot = va_page->epc_page->addr + va_offset;
  if (va_page->full()) va_pages.splice(va_pages.end(), va_pages, va_pages.begin());

  hw::Result r = ewb_leaf(epc_page, va_slot, b);
  if (encls_returned_code(r, hw::SgxCode::kNotTracked)) {
    const bool mask_first = alt_.reclaim_ipi_mask == Alternatives::IpiMask::kBeforeEtrack;
    const uint64_t early_mask = mask_first ? cpumask() : 0;
    const hw::Result t = kernel::this_cpu().etrack(secs.epc_page->addr);
    if (encls_failed(t)) sgx_.warn("ETRACK");
    r = ewb_leaf(epc_page, va_slot, b);
    if (encls_returned_code(r, hw::SgxCode::kNotTracked)) {
      sgx_.kernel().ipi_mask(mask_first ? early_mask : cpumask());
      r = ewb_leaf(epc_page, va_slot, b);
    }
  }
  if (!r.succeeded()) {
    if (encls_failed(r)) sgx_.warn("EWB");
    va_page->free_slot(va_offset);
  } else {
    encl_page.va_offset = va_offset;
    encl_page.va_page = va_page;
  }
}

// sgx_reclaimer_write: the page out, then the SECS if that was its last resident child
// (only once initialized: during the build the SECS stays).
static void reclaimer_write(EpcPage* epc_page, const Backing& backing) {
  EnclPage& encl_page = *epc_page->owner;
  Encl& encl = *encl_page.encl;
  sched::MutexLock l(encl.lock);
  encl.ewb(epc_page, backing);
  encl_page.epc_page = nullptr;
  --encl.secs_child_cnt;
  if (encl.secs_child_cnt == 0 && encl.test_flag(SGX_ENCL_INITIALIZED)) {
    Backing secs_backing;
    if (encl.get_backing(encl.page_index(encl.secs), secs_backing) != 0) return;
    encl.ewb(encl.secs.epc_page, secs_backing);
    encl.free_epc_page(encl.secs.epc_page);
    encl.secs.epc_page = nullptr;
  }
}

unsigned Sgx::reclaim_pages(EpcCgroup& cg) {
  std::array<Chunk, SGX_NR_TO_SCAN> chunk;
  int cnt = 0;
  {
    sched::MutexLock l(cg.lru_lock);
    for (int i = 0; i < SGX_NR_TO_SCAN && !cg.lru.empty(); ++i) {
      EpcPage* epc_page = cg.lru.pop_front();
      // kref_get_unless_zero: an enclave being released keeps its pages.
      std::shared_ptr<Encl> encl = epc_page->owner->encl->weak_from_this().lock();
      if (encl) {
        chunk[cnt].epc_page = epc_page;
        chunk[cnt].encl = std::move(encl);
        ++cnt;
      } else {
        epc_page->flags &= ~SGX_EPC_PAGE_RECLAIMER_TRACKED;
      }
    }
  }

  for (int i = 0; i < cnt; ++i) {
    EpcPage* epc_page = chunk[i].epc_page;
    Encl& encl = *chunk[i].encl;
    bool keep = reclaimer_age(epc_page);
    if (keep) {
      sched::MutexLock l(encl.lock);
      if (encl.get_backing(encl.page_index(*epc_page->owner), chunk[i].backing) == 0) {
        epc_page->owner->being_reclaimed = true;
      } else {
        keep = false;
      }
    }
    if (!keep) {
      {
        sched::MutexLock l(cg.lru_lock);
        cg.lru.push_back(epc_page);
      }
      chunk[i] = Chunk{};  // kref_put
    }
  }

  for (int i = 0; i < cnt; ++i) {
    if (chunk[i].epc_page != nullptr) reclaimer_block(chunk[i].epc_page);
  }

  for (int i = 0; i < cnt; ++i) {
    EpcPage* epc_page = chunk[i].epc_page;
    if (epc_page == nullptr) continue;
    reclaimer_write(epc_page, chunk[i].backing);
    chunk[i].encl.reset();  // kref_put: may release the enclave
    epc_page->flags &= ~SGX_EPC_PAGE_RECLAIMER_TRACKED;
    free_epc_page(epc_page);
  }
  return unsigned(cnt);
}

}  // namespace sgxref::driver
