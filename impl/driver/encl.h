// File: an enclave as the driver keeps it (Linux's encl.h): its pages, the VA pages
// holding the versions of evicted ones, the shmem backing they are written to, and the
// address spaces it is mapped into. One Encl per open /dev/sgx_enclave file; it lives
// while the file, an address space's record of it, or ksgxd holds a reference.
#pragma once

#include <atomic>
#include <array>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <vector>

#include "driver/alternatives.h"
#include "driver/epc_page.h"
#include "driver/err_ptr.h"
#include "hw/address.h"
#include "kernel/mm.h"
#include "kernel/shmem.h"
#include "sched/mutex.h"
#include "uapi/page_type.h"

namespace sgxref::driver {

class Encl;
class Sgx;

// Encl::flags bits.
inline constexpr uint32_t SGX_ENCL_IOCTL = 1u << 0;
inline constexpr uint32_t SGX_ENCL_DEBUG = 1u << 1;
inline constexpr uint32_t SGX_ENCL_CREATED = 1u << 2;
inline constexpr uint32_t SGX_ENCL_INITIALIZED = 1u << 3;

inline constexpr int SGX_VA_SLOT_COUNT = 512;

// A Version Array page: 512 eight-byte slots, one per evicted page.
struct VaPage {
  EpcPage* epc_page = nullptr;
  std::array<uint64_t, SGX_VA_SLOT_COUNT / 64> slots{};  // a bit per slot, set when taken

  // Byte offset of a free slot, now taken; the page must not be full.
  uint32_t alloc_slot();
  void free_slot(uint32_t offset);
  bool full() const;
};

// One page of the enclave (Linux's sgx_encl_page). Its fields are the enclave lock's.
// Linux packs the VA offset and BEING_RECLAIMED into the low bits of `desc`; we keep
// them apart (docs/driver.md).
struct EnclPage {
  hw::LAddr desc = 0;  // the page's address; 0 for the SECS
  uint32_t va_offset = 0;  // while evicted: its slot in `va_page`
  bool being_reclaimed = false;  // ksgxd has picked it; valid while epc_page is set
  uint64_t vm_max_prot_bits = 0;  // VM_READ|VM_WRITE|VM_EXEC a mapping may have
  uapi::PageType type = uapi::PageType::kReg;
  EpcPage* epc_page = nullptr;  // null while evicted
  Encl* encl = nullptr;
  VaPage* va_page = nullptr;
};

// Where a page's contents and PCMD go in the backing file (Linux's sgx_backing).
struct Backing {
  hw::PAddr contents = 0;
  hw::PAddr pcmd = 0;  // the page holding the PCMD
  uint32_t pcmd_offset = 0;
};

// The enclave's record of one address space it is mapped into (sgx_encl_mm): told when
// the address space goes, it leaves the enclave's list and drops its reference.
class EnclMm : public kernel::MmuNotifier {
 public:
  EnclMm(std::shared_ptr<Encl> encl, std::shared_ptr<kernel::Mm> mm)
      : encl_(std::move(encl)), mm_(std::move(mm)) {}
  kernel::Mm& mm() const { return *mm_; }
  void release(kernel::Mm&) override;

 private:
  std::shared_ptr<Encl> encl_;
  std::shared_ptr<kernel::Mm> mm_;
};

class Encl : public std::enable_shared_from_this<Encl> {
 public:
  Encl(Sgx& sgx, const Alternatives& alt);
  // sgx_encl_release: every page EREMOVEd, children first, then the SECS and the VA
  // pages; WARNs on what could not be freed.
  ~Encl();
  Encl(const Encl&) = delete;
  Encl& operator=(const Encl&) = delete;

  Sgx& sgx() const { return sgx_; }
  const Alternatives& alternatives() const { return alt_; }

  bool test_flag(uint32_t f) const { return flags_.load(std::memory_order_acquire) & f; }
  void set_flag(uint32_t f) { flags_.fetch_or(f, std::memory_order_acq_rel); }
  void clear_flag(uint32_t f) { flags_.fetch_and(~f, std::memory_order_acq_rel); }
  // test_and_set_bit: whether `f` was already set.
  bool test_and_set_flag(uint32_t f) {
    return flags_.fetch_or(f, std::memory_order_acq_rel) & f;
  }

  mutable sched::Mutex lock{"encl->lock"};

  // Set by ECREATE before CREATED, then only read.
  uint64_t base = 0;
  uint64_t size = 0;
  uint64_t attributes = 0;
  uint64_t attributes_mask = 0;
  std::unique_ptr<kernel::ShmemFile> backing;

  // Pages needing a VA slot, the SECS included. Changed outside the lock by the build
  // ioctls (which the IOCTL flag serializes), as in Linux.
  std::atomic<uint32_t> page_cnt{0};
  uint32_t secs_child_cnt GUARDED_BY(lock) = 0;
  EnclPage secs;
  // By page frame number of the address (xarray page_array).
  std::map<uint64_t, std::unique_ptr<EnclPage>> page_array GUARDED_BY(lock);
  // The VA pages: the first has a free slot whenever any has.
  std::list<std::unique_ptr<VaPage>> va_pages GUARDED_BY(lock);

  // sgx_encl_grow: a new VA page (EPA done; the caller owns it until add_va_page) when
  // the enclave's page count is a multiple of 512, else null; counts the page either way.
  ErrPtr<VaPage> grow(bool reclaim);
  // list_add of grow's VA page at the head of va_pages.
  void add_va_page(VaPage* va_page) REQUIRES(lock);
  // sgx_encl_shrink: undoes grow; `va_page` (if any) must be on va_pages already.
  void shrink(VaPage* va_page) REQUIRES(lock);

  // sgx_encl_load_page(_in_vma): the page at `addr`, made resident (SECS first) and
  // reclaimable; -EFAULT if there is none (or `vm_flags` exceed its max protection),
  // -EBUSY while ksgxd is writing it out.
  ErrPtr<EnclPage> load_page(hw::LAddr addr) REQUIRES(lock);
  ErrPtr<EnclPage> load_page_in_vma(hw::LAddr addr, uint64_t vm_flags) REQUIRES(lock);
  // sgx_encl_load_secs: ELDU of the SECS if it was evicted.
  int load_secs() REQUIRES(lock);

  // The part of sgx_encl_eaug_page under the enclave lock: the SECS made resident, an
  // EPC page and (every 512 pages) a VA page taken without reclaim, `encl_page`
  // published in page_array, EAUG of a PENDING REG page, onto the LRU. 0: page_array
  // owns `encl_page`. -EBUSY: nothing free without reclaim, try again once ksgxd ran.
  // -EEXIST: another flow published a page at this address first (xa_insert's -EBUSY,
  // renamed so it is not mistaken for the former). Else the allocator's error, or
  // -EFAULT when EAUG fails. On an error nothing changed.
  int eaug_page(std::unique_ptr<EnclPage>& encl_page) REQUIRES(lock);

  // sgx_encl_alloc_backing: the backing pages of page `page_index` (size >> 12 is the
  // SECS); -ENOMEM if the file cannot grow.
  int get_backing(uint64_t page_index, Backing& b);
  uint64_t page_index(const EnclPage& p) const {
    return &p == &secs ? size >> 12 : (p.desc - base) >> 12;
  }

  // sgx_encl_ewb's slot and leaves (reclaim.cc calls it).
  void ewb(EpcPage* epc_page, const Backing& b) REQUIRES(lock);

  // sgx_encl_free_epc_page: EREMOVE, then back to the free list; a failing EREMOVE is a
  // WARN and the page is leaked, as Linux does.
  void free_epc_page(EpcPage* epc_page);

  // sgx_encl_may_map: -EACCES when a mapping of [start, end) with `vm_flags` would
  // exceed some page's max protection, or (once initialized) leave ELRANGE.
  int may_map(hw::LAddr start, hw::LAddr end, uint64_t vm_flags) EXCLUDES(lock);

  // sgx_encl_mm_add: records `mm` (once), so reclaim zaps its PTEs and IPIs its CPUs.
  int mm_add(kernel::Mm& mm) EXCLUDES(mm_lock_);
  // Removes `encl_mm` if it is still listed; whether it was.
  bool mm_remove(const EnclMm* encl_mm) EXCLUDES(mm_lock_);
  // The address spaces now listed (srcu read side: a snapshot holding each).
  std::vector<std::shared_ptr<EnclMm>> mm_list() const EXCLUDES(mm_lock_);
  uint64_t mm_list_version() const { return mm_list_version_.load(std::memory_order_acquire); }
  // The file's release: every listed address space unregistered and dropped.
  void drain_mm_list() EXCLUDES(mm_lock_);

  // sgx_encl_cpumask: every CPU that has run one of the enclave's address spaces.
  uint64_t cpumask() const EXCLUDES(mm_lock_);
  // sgx_zap_enclave_ptes: the PTE of `addr` cleared in every address space, until no
  // address space was added meanwhile. Takes mmap_lock: call without the enclave lock.
  void zap_enclave_ptes(hw::LAddr addr) EXCLUDES(lock);
  // sgx_encl_test_and_clear_young for `page` in `mm`.
  bool test_and_clear_young(kernel::Mm& mm, const EnclPage& page)
      REQUIRES_SHARED(mm.mmap_lock);
  // sgx_encl_find: the VMA of `mm` at `addr`, if it maps this enclave.
  kernel::Vma* find_vma(kernel::Mm& mm, hw::LAddr addr) const REQUIRES_SHARED(mm.mmap_lock);

 private:
  EpcPage* eldu(EnclPage& encl_page, EpcPage* secs_page, int& err) REQUIRES(lock);
  int eldu_into(EnclPage& encl_page, EpcPage* epc_page, EpcPage* secs_page) REQUIRES(lock);
  bool reclaimer_writing_to_pcmd(uint64_t start_addr) REQUIRES(lock);
  hw::Result ewb_leaf(EpcPage* epc_page, hw::PAddr va_slot, const Backing& b);

  Sgx& sgx_;
  const Alternatives alt_;
  std::atomic<uint32_t> flags_{0};

  mutable sched::Mutex mm_lock_{"encl->mm_lock"};
  std::vector<std::shared_ptr<EnclMm>> mm_list_ GUARDED_BY(mm_lock_);
  std::atomic<uint64_t> mm_list_version_{0};
};

// sgx_encl_page_alloc: the record of the page at `offset`, with the protections a
// mapping may have: SECINFO's R/W/X for a REG page, RW for a TCS; -ENOMEM.
ErrPtr<EnclPage> encl_page_alloc(Encl& encl, uint64_t offset, uint64_t secinfo_flags);

}  // namespace sgxref::driver
