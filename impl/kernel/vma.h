// File: a virtual memory area (Linux's vm_area_struct) and the operations a driver
// attaches to one (vm_operations_struct: open, close, fault, may_mprotect, access).
#pragma once

#include <cstdint>

#include "hw/address.h"
#include "kernel/file.h"

namespace sgxref::kernel {

class Mm;
struct Vma;

// What a fault handler answers (Linux's vm_fault_t values the SGX driver uses).
// kNoPage: the PTE is in place, or the fault should simply be taken again.
enum class VmFault { kNoPage, kSigbus, kOom };

class VmOps {
 public:
  virtual ~VmOps() = default;
  // A new VMA now shares this one's mapping: a split, or a copy into a forked mm.
  virtual void open(Vma&) {}
  virtual void close(Vma&) {}
  // Called with mmap_lock held for reading; `addr` is the faulting page.
  virtual VmFault fault(Vma&, hw::LAddr addr, bool write) = 0;
  // mprotect may turn [start, end) of this VMA into `newflags`; 0 or -errno.
  virtual int may_mprotect(Vma&, hw::LAddr /*start*/, hw::LAddr /*end*/, uint64_t /*newflags*/) {
    return 0;
  }
  // ptrace's way in (access_process_vm): bytes copied, or -errno.
  virtual int access(Vma&, hw::LAddr, void*, int, bool /*write*/) { return -EIO; }
};

struct Vma {
  Mm* mm = nullptr;
  hw::LAddr start = 0;
  hw::LAddr end = 0;  // exclusive
  uint64_t flags = 0;  // VM_*
  uint64_t pgoff = 0;  // offset into the file, in pages
  FileRef file;        // null for anonymous memory
  VmOps* ops = nullptr;
  void* private_data = nullptr;

  bool contains(hw::LAddr a) const { return a >= start && a < end; }
};

}  // namespace sgxref::kernel
