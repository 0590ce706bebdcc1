// File: the virtual EPC (Linux's virt.c): /dev/sgx_vepc, through which a VMM hands a
// guest raw EPC. Each open file is one instance (SgxVepc) holding the EPC pages it has
// handed out, by page index in the file. A page is allocated on its first fault and
// never reclaimed: what lives in it is the guest kernel's to page. Pages are EREMOVEd
// when the file goes and on SGX_IOC_VEPC_REMOVE_ALL; a SECS whose children sit in
// another instance cannot be, and waits on the device's zombie list until they are gone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

#include "driver/epc_page.h"
#include "hw/address.h"
#include "hw/fault.h"
#include "kernel/file.h"
#include "kernel/vma.h"
#include "sched/mutex.h"

namespace sgxref::driver {

class Sgx;

// struct sgx_vepc: one open /dev/sgx_vepc.
class SgxVepc {
 public:
  explicit SgxVepc(Sgx& s) : sgx(s) {}
  SgxVepc(const SgxVepc&) = delete;
  SgxVepc& operator=(const SgxVepc&) = delete;

  // The page array as Linux's xarray is used here: each call takes the array's own lock
  // for itself only, so a walk (release, REMOVE_ALL) never holds it across an EREMOVE
  // and a fault may store while a walk is under way.
  EpcPage* xa_load(uint64_t index) const EXCLUDES(xa_lock_);
  void xa_store(uint64_t index, EpcPage* page) EXCLUDES(xa_lock_);
  void xa_erase(uint64_t index) EXCLUDES(xa_lock_);
  // xa_for_each's step: the entry at the lowest index at or above `index`, which it
  // moves there; nullptr when there is none.
  EpcPage* xa_find(uint64_t& index) const EXCLUDES(xa_lock_);

  Sgx& sgx;
  // Serializes faults, so one index gets one page.
  sched::Mutex lock{"sgx_vepc.lock"};

 private:
  mutable sched::Mutex xa_lock_ ACQUIRED_AFTER(lock){"sgx_vepc.page_array"};
  std::map<uint64_t, EpcPage*> page_array_ GUARDED_BY(xa_lock_);
};

// /dev/sgx_vepc. The device outlives every instance, so the zombie list lives here
// (Linux keeps it in a static of virt.c).
class VepcFops : public kernel::FileOps {
 public:
  explicit VepcFops(Sgx& sgx) : sgx_(sgx) {}

  int open(kernel::File& file) override;
  long ioctl(kernel::File& file, unsigned int cmd, hw::LAddr arg) override;
  int mmap(kernel::File& file, kernel::Vma& vma) override;
  void release(kernel::File& file) override;

  // SECS pages EREMOVE has refused so far, waiting for the release that frees them.
  size_t nr_zombie_secs_pages() const EXCLUDES(zombie_secs_pages_lock_);

 private:
  // sgx_vepc_free_page: EREMOVE, and the page back on the free lists if it went.
  hw::Result free_page(EpcPage* epc_page);
  long remove_all(SgxVepc& vepc);

  Sgx& sgx_;
  mutable sched::Mutex zombie_secs_pages_lock_{"zombie_secs_pages_lock"};
  PageList zombie_secs_pages_ GUARDED_BY(zombie_secs_pages_lock_);
};

}  // namespace sgxref::driver
