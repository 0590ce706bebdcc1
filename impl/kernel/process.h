// File: a process: an address space and a table of open files, with the system calls
// the driver's users make (open, close, ioctl, mmap, mprotect, munmap), fork and exit.
// Each system call runs in the current task, which must be one of this process's, on a
// CPU it holds for the call.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "kernel/file.h"
#include "kernel/mm.h"
#include "sched/mutex.h"

namespace sgxref::kernel {

class Kernel;

class Process {
 public:
  explicit Process(Kernel& k);
  // exit(), if the process has not exited.
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  Kernel& kernel() const { return k_; }
  // Valid until exit().
  Mm& mm() const { return *mm_; }

  // The device's new file's descriptor, or -ENOENT (no such device) or the device's
  // open error.
  int open(const std::string& device) EXCLUDES(mu_);
  int close(int fd) EXCLUDES(mu_);
  // -EBADF for a descriptor that is not open; -ENOTTY for a command the device does not
  // know.
  long ioctl(int fd, unsigned int cmd, hw::LAddr arg) EXCLUDES(mu_);
  // Linux's checks: len > 0, page-aligned offset and (with MAP_FIXED) address, exactly
  // one of MAP_SHARED and MAP_PRIVATE, an open descriptor unless MAP_ANONYMOUS.
  long mmap(hw::LAddr addr, uint64_t len, uint64_t prot, uint64_t flags, int fd,
            uint64_t offset) EXCLUDES(mu_);
  int mprotect(hw::LAddr start, uint64_t len, uint64_t prot);
  int munmap(hw::LAddr start, uint64_t len);

  // A child with a copy of the address space (Mm::dup) and of the descriptor table.
  std::unique_ptr<Process> fork() EXCLUDES(mu_);
  // Files closed and the address space let go, as do_exit does (exit_mm, exit_files).
  void exit() EXCLUDES(mu_);
  bool exited() const { return mm_ == nullptr; }

  // What a debugger's PTRACE_PEEKDATA/POKEDATA reach (access_process_vm): bytes moved,
  // or -errno. A VMA with its own access hook (an enclave) answers through it.
  int access_process_vm(hw::LAddr a, void* buf, int len, bool write);

  FileRef file(int fd) const EXCLUDES(mu_);

 private:
  Process(Kernel& k, std::shared_ptr<Mm> mm);

  Kernel& k_;
  std::shared_ptr<Mm> mm_;
  mutable sched::Mutex mu_{"process.files"};
  std::map<int, FileRef> files_ GUARDED_BY(mu_);
  int next_fd_ GUARDED_BY(mu_) = 3;
};

}  // namespace sgxref::kernel
