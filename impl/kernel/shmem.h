// File: a shmem-like file, what an enclave's backing store is in Linux: page-indexed and
// sparse, each page a RAM frame the kernel can hand to ENCLS by its physical address
// (EWB seals a page into one, ELDU reads it back). A page appears when first looked up
// for writing, and can fail to (fault injection: backing.alloc); truncating a page
// frees its frame.
#pragma once

#include <cstdint>
#include <map>

#include "hw/machine.h"
#include "kernel/fault_inject.h"
#include "sched/mutex.h"

namespace sgxref::kernel {

class ShmemFile {
 public:
  ShmemFile(hw::Machine& m, FaultInjection& faults, uint64_t size);
  ~ShmemFile();
  ShmemFile(const ShmemFile&) = delete;
  ShmemFile& operator=(const ShmemFile&) = delete;

  uint64_t size() const { return size_; }

  // The frame holding page `index`, allocated and zeroed if it has none yet; 0 when the
  // index is beyond the file or no frame could be had (-ENOMEM in Linux).
  hw::PAddr get_page(uint64_t index) EXCLUDES(mu_);
  // The frame holding page `index`, or 0 if it has none.
  hw::PAddr find_page(uint64_t index) const EXCLUDES(mu_);
  // Frees page `index`'s frame, if it has one.
  void truncate_page(uint64_t index) EXCLUDES(mu_);

  uint64_t pages_in_use() const EXCLUDES(mu_);

 private:
  hw::Machine& m_;
  FaultInjection& faults_;
  const uint64_t size_;
  mutable sched::Mutex mu_{"kernel.shmem"};
  std::map<uint64_t, hw::PAddr> pages_ GUARDED_BY(mu_);
};

}  // namespace sgxref::kernel
