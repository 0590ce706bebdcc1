// File: the virtual EPC as the VMM sees it (Linux's arch/x86/kernel/cpu/sgx/virt.c).
// Each open /dev/sgx_vepc is an instance whose file pages are EPC pages the guest uses
// as its own; the VMM sees what the guest made of each (the EPCM: free, a SECS, or a
// child of some SECS, which may live in another instance) only through what EREMOVE
// answers when the instance is reset (SGX_IOC_VEPC_REMOVE_ALL) or released. A SECS that
// EREMOVE refuses at release waits on the device's list of zombies. No reclaim ever
// touches a vEPC page: the instances share the EPC with an enclave whose pages reclaim
// can free, and once vEPC pages and zombies fill what is left, a touch or the enclave's
// load finds no page.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <set>

#include "enclave_state.h"

namespace sgxref::model::uapi {

// Instance `instance`'s page `index` (its offset in the file, in pages).
struct VepcPageRef {
  int instance = 0;
  uint64_t index = 0;
  auto operator<=>(const VepcPageRef&) const = default;
};

// The EPCM entry of a vEPC page, as far as EREMOVE cares: VALID, PT, ENCLAVESECS.
struct GuestPage {
  enum class Kind : uint8_t { kFree, kSecs, kChild };
  Kind kind = Kind::kFree;
  VepcPageRef secs;  // a child's SECS
  bool operator==(const GuestPage&) const = default;
};

struct VepcInstance {
  bool mapped = false;                  // shared, over every index the VMM touches
  std::map<uint64_t, GuestPage> pages;  // the indices with an EPC page behind them
};

struct Vepc {
  // The EPC pages vEPC pages and zombies may take between them: the EPC less the pages
  // of the enclaves beside them that no reclaim frees (their VA pages).
  uint64_t room = std::numeric_limits<uint64_t>::max();
  // The enclave's SECS resident with no child, which no reclaim frees (enclave_read).
  bool secs_pinned = false;
  int next_id = 0;
  std::map<int, VepcInstance> open;
  std::set<VepcPageRef> zombies;  // zombie_secs_pages: SECS pages of released instances

  // What no reclaim frees: every page an open instance holds, and the zombies.
  uint64_t pinned() const {
    uint64_t n = zombies.size();
    for (const auto& [id, in] : open) n += in.pages.size();
    return n;
  }

  // Children live only in open instances: release removes an instance's children.
  bool has_children(VepcPageRef secs) const {
    for (const auto& [id, in] : open) {
      for (const auto& [index, p] : in.pages) {
        if (p.kind == GuestPage::Kind::kChild && p.secs == secs) return true;
      }
    }
    return false;
  }
  // EREMOVE (SDM): SGX_CHILD_PRESENT (false) for a SECS with children; otherwise the
  // page is free after it (it does nothing to a free page).
  bool eremove(VepcPageRef at) {
    GuestPage& p = open.at(at.instance).pages.at(at.index);
    if (p.kind == GuestPage::Kind::kSecs && has_children(at)) return false;
    p = GuestPage{};
    return true;
  }
};

// sgx_vepc_open: a new instance with no pages. Its id stands for the descriptor.
inline int vepc_open(Vepc& v) {
  v.open[v.next_id] = VepcInstance{};
  return v.next_id++;
}

// sgx_vepc_mmap: EPC cannot be copied on write, so only MAP_SHARED (-EINVAL otherwise).
inline long vepc_mmap(Vepc& v, int id, bool shared) {
  if (!shared) return err::kInval;
  v.open.at(id).mapped = true;
  return 0;
}

enum class Touch : uint8_t { kMapped, kSigsegv, kSigbus };

// The EPC pages reclaim could still free for an allocation: those of the room that
// neither vEPC pages, zombies nor a pinned SECS hold.
inline uint64_t reclaimable_room(const Vepc& v) {
  return v.room - v.pinned() - (v.secs_pinned ? 1 : 0);
}

// sgx_vepc_fault (__sgx_vepc_fault): the first touch of an index allocates its EPC page,
// which stays until release (REMOVE_ALL keeps it); without a mapping the touch is
// SIGSEGV. The allocation may not reclaim (sgx_alloc_epc_page with reclaim false): with
// no free page it is -EBUSY while enclave pages are on the LRU, and the fault is taken
// again while ksgxd writes them out; with the LRU empty it is -ENOMEM, SIGBUS.
inline Touch vepc_touch(Vepc& v, int id, uint64_t index) {
  VepcInstance& in = v.open.at(id);
  if (!in.mapped) return Touch::kSigsegv;
  if (in.pages.count(index) == 0 && reclaimable_room(v) == 0) return Touch::kSigbus;
  in.pages.try_emplace(index);
  return Touch::kMapped;
}

// A debugger's read of a page of the debug enclave beside the instances (sgx_vma_access):
// the page is loaded first, and its SECS before it, each by ELDU allocating without
// reclaim, retried while ksgxd frees the enclave's pages (sgx_encl_reserve_page). Two
// pages of room always come free that way: 0, and the SECS leaves again with the last
// child reclaim takes. With one, the SECS takes it and the page finds none: -ENOMEM, and
// the SECS, off the LRU with no child resident, stays pinned until a read succeeds. With
// none (a resident child needs its SECS too, so no child is resident) the SECS finds none.
inline long enclave_read(Vepc& v) {
  if (v.room - v.pinned() < 2) {
    v.secs_pinned = v.room - v.pinned() == 1;
    return err::kNoMem;
  }
  v.secs_pinned = false;
  return 0;
}

// SGX_IOC_ENCLAVE_CREATE of another enclave, closed again (sgx_encl_create): a VA page
// and then the SECS, each allocated with reclaim, which frees the first enclave's pages
// until the LRU is empty: -ENOMEM without two pages of room it could free, and the VA
// page given back.
inline long enclave_create(const Vepc& v) { return reclaimable_room(v) >= 2 ? 0 : err::kNoMem; }

// The guest's ECREATE (SDM: #PF unless the target's EPCM entry is invalid) at a page the
// VMM touched.
inline bool guest_ecreate(Vepc& v, VepcPageRef at) {
  GuestPage& p = v.open.at(at.instance).pages.at(at.index);
  if (p.kind != GuestPage::Kind::kFree) return false;
  p.kind = GuestPage::Kind::kSecs;
  return true;
}

// The guest's EADD (SDM: #PF unless the target is invalid and the SECS operand is a
// valid SECS) of a child at `at` into the SECS at `secs`, in any instance.
inline bool guest_eadd(Vepc& v, VepcPageRef at, VepcPageRef secs) {
  GuestPage& p = v.open.at(at.instance).pages.at(at.index);
  if (p.kind != GuestPage::Kind::kFree) return false;
  if (v.open.at(secs.instance).pages.at(secs.index).kind != GuestPage::Kind::kSecs) return false;
  p = GuestPage{GuestPage::Kind::kChild, secs};
  return true;
}

// sgx_vepc_ioctl, SGX_IOC_VEPC_REMOVE_ALL (sgx_vepc_remove_all): a non-zero argument is
// -EINVAL; otherwise EREMOVE of every page in ascending index order (xa_for_each), each
// kept allocated. A SECS with children anywhere at its turn (later in the walk, or in
// another instance) stays; the answer is how many did, for user space to call again.
inline long vepc_remove_all(Vepc& v, int id, uint64_t arg) {
  if (arg != 0) return err::kInval;
  long failures = 0;
  for (auto& [index, p] : v.open.at(id).pages) failures += v.eremove({id, index}) ? 0 : 1;
  return failures;
}

// sgx_vepc_release, when the last reference (descriptor or mapping) goes: the children
// and free pages first (its first pass, where EREMOVE cannot refuse them), then the SECS
// pages (its second pass): one whose children live in another instance becomes a zombie.
// Then every zombie is tried again: those whose children are gone now are freed.
inline void vepc_close(Vepc& v, int id) {
  for (auto& [index, p] : v.open.at(id).pages) {
    if (p.kind != GuestPage::Kind::kSecs) p = GuestPage{};
  }
  for (auto& [index, p] : v.open.at(id).pages) {
    if (!v.eremove({id, index})) v.zombies.insert({id, index});
  }
  v.open.erase(id);
  std::erase_if(v.zombies, [&](VepcPageRef z) { return !v.has_children(z); });
}

}  // namespace sgxref::model::uapi
