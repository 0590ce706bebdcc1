// File: an open file and the operations a device gives it (Linux's struct file and
// file_operations, reduced to what a character device uses). A File lives as long as
// something refers to it (a descriptor, a VMA's vm_file); the last reference gone, the
// device's release runs, as the VFS calls ->release on the final fput.
#pragma once

#include <cstdint>
#include <memory>

#include "hw/address.h"
#include "kernel/errno.h"

namespace sgxref::kernel {

class File;
struct Vma;

class FileOps {
 public:
  virtual ~FileOps() = default;
  // A fresh File for this device; its private data is the device's to set.
  virtual int open(File&) { return 0; }
  // `arg` is a user address in the calling task's process. -ENOIOCTLCMD for a command
  // the device does not know: the VFS answers it with -ENOTTY.
  virtual long ioctl(File&, unsigned int /*cmd*/, hw::LAddr /*arg*/) { return -ENOIOCTLCMD; }
  // Called with mmap_lock held for writing, before the VMA is inserted; the device may
  // set its vm_ops, flags and private data, or refuse the mapping.
  virtual int mmap(File&, Vma&) { return -ENODEV; }
  // Before mmap picks an address: -errno refuses the mapping's flags (MAP_*); 0 lets the
  // address space choose as it does for any file.
  virtual long get_unmapped_area(File&, hw::LAddr /*addr*/, uint64_t /*len*/,
                                 uint64_t /*pgoff*/, uint64_t /*flags*/) {
    return 0;
  }
  virtual void release(File&) {}
};

class File {
 public:
  explicit File(FileOps& ops) : ops_(ops) {}
  // The device's release runs only for a file its open accepted.
  ~File() {
    if (opened_) ops_.release(*this);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  FileOps& ops() const { return ops_; }
  void mark_opened() { opened_ = true; }

  // The device's object for this file; a reference, as the kref a driver takes when it
  // stores its object in Linux's void* private_data.
  std::shared_ptr<void> private_data;

 private:
  FileOps& ops_;
  bool opened_ = false;
};

using FileRef = std::shared_ptr<File>;

}  // namespace sgxref::kernel
