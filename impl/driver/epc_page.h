// File: the driver's record of one EPC page (Linux's sgx_epc_page) and the lists it
// moves between: its node's free list, its group's LRU, the dirty list of pages
// left from before boot. A page is on at most one list at a time.
#pragma once

#include <cstdint>
#include <list>

#include "hw/address.h"

namespace sgxref::driver {

class EpcCgroup;
struct EnclPage;

// A page ksgxd may pick; while set and on no list, ksgxd holds the page.
inline constexpr uint16_t SGX_EPC_PAGE_RECLAIMER_TRACKED = 1u << 0;
inline constexpr uint16_t SGX_EPC_PAGE_IS_FREE = 1u << 1;

struct EpcPage {
  hw::PAddr addr = 0;
  uint32_t section = 0;
  uint16_t flags = 0;
  // The enclave page it holds (SECS and children); null for a VA page or a free page.
  EnclPage* owner = nullptr;
  // The group charged for it from allocation to free (epc_page->sgx_cg); null while
  // free or before sanitization. Its LRU is the one the page goes on.
  EpcCgroup* cg = nullptr;

  // Where it sits on its list, if it is on one.
  std::list<EpcPage*>::iterator link;
  bool linked = false;
};

// A list of EPC pages with O(1) removal of any member, as list_head gives Linux.
class PageList {
 public:
  bool empty() const { return pages_.empty(); }
  size_t size() const { return pages_.size(); }
  EpcPage* front() const { return pages_.front(); }

  void push_back(EpcPage* p) {
    p->link = pages_.insert(pages_.end(), p);
    p->linked = true;
  }
  void push_front(EpcPage* p) {
    p->link = pages_.insert(pages_.begin(), p);
    p->linked = true;
  }
  // list_del_init: `p` must be on this list.
  void remove(EpcPage* p) {
    pages_.erase(p->link);
    p->linked = false;
  }
  EpcPage* pop_front() {
    EpcPage* p = front();
    remove(p);
    return p;
  }

 private:
  std::list<EpcPage*> pages_;
};

}  // namespace sgxref::driver
