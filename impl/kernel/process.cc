#include "kernel/process.h"

#include <cstring>
#include <optional>

#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "kernel/vm_flags.h"

namespace sgxref::kernel {

namespace {

// The way back to user space: a signal that interrupted the call is delivered there
// (our tasks have no handlers to run, so delivering it clears it), and a call it
// interrupted before doing anything fails with -EINTR, as for a handler without
// SA_RESTART.
long syscall_exit(long ret) {
  Task& t = current();
  if (ret == -ERESTARTSYS) ret = -EINTR;
  t.clear_signal();
  return ret;
}

}  // namespace

Process::Process(Kernel& k) : Process(k, std::make_shared<Mm>(k)) {}

Process::Process(Kernel& k, std::shared_ptr<Mm> mm) : k_(k), mm_(std::move(mm)) {}

Process::~Process() { exit(); }

int Process::open(const std::string& device) {
  FileOps* ops = k_.device(device);
  if (ops == nullptr) return -ENOENT;
  auto f = std::make_shared<File>(*ops);
  CpuHold cpu;
  if (int ret = ops->open(*f); ret != 0) return int(syscall_exit(ret));
  f->mark_opened();
  sched::MutexLock l(mu_);
  const int fd = next_fd_++;
  files_.emplace(fd, std::move(f));
  return fd;
}

int Process::close(int fd) {
  FileRef f;
  {
    sched::MutexLock l(mu_);
    const auto it = files_.find(fd);
    if (it == files_.end()) return -EBADF;
    f = std::move(it->second);
    files_.erase(it);
  }
  CpuHold cpu;
  f.reset();  // the last reference runs the device's release, on this task's CPU
  return 0;
}

long Process::ioctl(int fd, unsigned int cmd, hw::LAddr arg) {
  FileRef f = file(fd);
  if (!f) return -EBADF;
  CpuHold cpu;
  long ret = f->ops().ioctl(*f, cmd, arg);
  if (ret == -ENOIOCTLCMD) ret = -ENOTTY;
  return syscall_exit(ret);
}

long Process::mmap(hw::LAddr addr, uint64_t len, uint64_t prot, uint64_t flags, int fd,
                   uint64_t offset) {
  if (len == 0 || hw::page_offset(offset) != 0) return -EINVAL;
  if ((flags & MAP_FIXED) && hw::page_offset(addr) != 0) return -EINVAL;
  const uint64_t type = flags & (MAP_SHARED | MAP_PRIVATE);
  if (type != MAP_SHARED && type != MAP_PRIVATE) return -EINVAL;
  if (len > ~uint64_t(0) - hw::kPageSize) return -ENOMEM;
  FileRef f;
  if (!(flags & MAP_ANONYMOUS)) {
    f = file(fd);
    if (!f) return -EBADF;
  }
  CpuHold cpu;
  return syscall_exit(mm_->mmap(addr, len, prot, flags, f, offset / hw::kPageSize));
}

int Process::mprotect(hw::LAddr start, uint64_t len, uint64_t prot) {
  if (hw::page_offset(start) != 0) return -EINVAL;
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) return -EINVAL;
  CpuHold cpu;
  return int(syscall_exit(mm_->mprotect(start, len, prot)));
}

int Process::munmap(hw::LAddr start, uint64_t len) {
  if (hw::page_offset(start) != 0 || len == 0) return -EINVAL;
  CpuHold cpu;
  return int(syscall_exit(mm_->munmap(start, len)));
}

std::unique_ptr<Process> Process::fork() {
  CpuHold cpu;
  std::unique_ptr<Process> child(new Process(k_, mm_->dup()));
  sched::MutexLock l(mu_);
  sched::MutexLock cl(child->mu_);
  child->files_ = files_;
  child->next_fd_ = next_fd_;
  return child;
}

void Process::exit() {
  if (mm_ == nullptr) return;
  // A process torn down from outside any of its tasks (a test's end) exits in a task
  // of its own.
  std::optional<Task> own;
  std::optional<TaskScope> scope;
  if (detail::t_current == nullptr) {
    own.emplace(*this, "exit");
    scope.emplace(*own);
  }
  CpuHold cpu;
  // exit_mm, then exit_files, as do_exit orders them.
  std::shared_ptr<Mm> mm = std::move(mm_);
  mm->mmput();
  std::map<int, FileRef> files;
  {
    sched::MutexLock l(mu_);
    files.swap(files_);
  }
  files.clear();
}

int Process::access_process_vm(hw::LAddr a, void* buf, int len, bool write) {
  if (len < 0) return -EINVAL;
  CpuHold cpu;
  sched::ReaderLock l(mm_->mmap_lock);
  int done = 0;
  while (done < len) {
    const hw::LAddr at = a + uint64_t(done);
    Vma* v = mm_->find_vma(at);
    if (v == nullptr) break;
    const int chunk = int(std::min<uint64_t>(uint64_t(len - done), hw::kPageSize - hw::page_offset(at)));
    auto* p = static_cast<uint8_t*>(buf) + done;
    if (v->flags & (VM_IO | VM_PFNMAP)) {
      if (v->ops == nullptr) break;
      const int n = v->ops->access(*v, at, p, chunk, write);
      if (n <= 0) return done > 0 ? done : n;
      done += n;
      continue;
    }
    const hw::PAddr frame = mm_->get_user_page(at, write);
    if (frame == 0) break;
    uint8_t* bytes = k_.machine().ram().frame(frame) + hw::page_offset(at);
    if (write) {
      std::memcpy(bytes, p, size_t(chunk));
    } else {
      std::memcpy(p, bytes, size_t(chunk));
    }
    done += chunk;
  }
  return done > 0 ? done : -EIO;
}

FileRef Process::file(int fd) const {
  sched::MutexLock l(mu_);
  const auto it = files_.find(fd);
  return it == files_.end() ? nullptr : it->second;
}

}  // namespace sgxref::kernel
