// File: what the kernel slice's unit tests share: a small machine and its Kernel, a test
// device whose files count their opens, ioctls and releases and whose mappings are
// driver VMAs (VM_PFNMAP, a fault handler backing each page with a RAM frame of its own,
// open/close/may_mprotect recorded), and a fixture running the test body as a task of
// one process.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hw/machine.h"
#include "kernel/errno.h"
#include "kernel/file.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/process.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "kernel/vma.h"
#include "sched/thread_annotations.h"
#include "testlib/small_config.h"

namespace sgxref::kernel::test {

using hw::kPageSize;
using hw::LAddr;
using hw::PAddr;

inline constexpr uint64_t kRw = PROT_READ | PROT_WRITE;
inline constexpr uint64_t kAnon = MAP_PRIVATE | MAP_ANONYMOUS;

// A VMA as a value: what a test compares after a system call.
struct Range {
  LAddr start = 0;
  LAddr end = 0;
  uint64_t flags = 0;
  bool operator==(const Range&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Range& r) {
  return os << std::hex << "[0x" << r.start << ", 0x" << r.end << ") flags 0x" << r.flags
            << std::dec;
}

inline std::vector<Range> ranges(Mm& mm) {
  sched::ReaderLock l(mm.mmap_lock);
  std::vector<Range> out;
  for (const Vma* v : mm.vmas()) out.push_back(Range{v->start, v->end, v->flags});
  return out;
}

// The driver side of a test device's mappings.
class RecordingVmOps : public VmOps {
 public:
  RecordingVmOps(hw::Machine& m, std::vector<std::string>& log) : m_(m), log_(log) {}
  ~RecordingVmOps() override {
    for (const auto& [page, frame] : frames_) m_.ram().free(frame);
  }

  void open(Vma& v) override {
    opened.push_back(Range{v.start, v.end, v.flags});
    opened_in.push_back(v.mm);
    log_.push_back("vma.open");
  }
  void close(Vma& v) override {
    closed.push_back(Range{v.start, v.end, v.flags});
    log_.push_back("vma.close");
  }
  // Called with mmap_lock held for reading, which the analysis cannot see through the
  // virtual call.
  NO_THREAD_SAFETY_ANALYSIS VmFault fault(Vma& v, LAddr addr, bool /*write*/) override {
    ++faults;
    if (answer != VmFault::kNoPage || !map_on_fault) return answer;
    if (faults <= nopage_first) return VmFault::kNoPage;  // "try again", nothing mapped
    PAddr& frame = frames_[addr];
    if (frame == 0) frame = m_.ram().alloc();
    if (frame == 0) return VmFault::kOom;
    return v.mm->insert_pfn(v, addr, frame);
  }
  int may_mprotect(Vma&, LAddr start, LAddr end, uint64_t newflags) override {
    mprotects.push_back(Range{start, end, newflags});
    return start >= refuse_from ? mprotect_answer : 0;
  }

  // The frame the fault handler gave page `addr`, or 0.
  PAddr frame(LAddr addr) const {
    const auto it = frames_.find(addr);
    return it == frames_.end() ? 0 : it->second;
  }

  std::vector<Range> opened;
  std::vector<Mm*> opened_in;
  std::vector<Range> closed;
  std::vector<Range> mprotects;  // (start, end, newflags) asked
  int faults = 0;
  VmFault answer = VmFault::kNoPage;
  bool map_on_fault = true;
  int nopage_first = 0;  // the first this many faults map nothing and answer kNoPage
  int mprotect_answer = 0;
  LAddr refuse_from = 0;  // mprotect_answer is given for ranges starting here or above

 private:
  hw::Machine& m_;
  std::vector<std::string>& log_;
  std::map<LAddr, PAddr> frames_;
};

// A character device: ioctl kEcho returns its argument, kInterruptible answers
// -ERESTARTSYS when a signal is pending; mmap makes a driver VMA.
class TestDevice : public FileOps {
 public:
  static constexpr unsigned int kEcho = 0x1234;
  static constexpr unsigned int kInterruptible = 0x1235;

  explicit TestDevice(hw::Machine& m) : vm_ops(m, log) {}

  int open(File&) override {
    ++opens;
    return open_answer;
  }
  long ioctl(File&, unsigned int cmd, LAddr arg) override {
    if (cmd == kEcho) return long(arg);
    if (cmd == kInterruptible) {
      saw_signal = current().signal_pending();
      return saw_signal ? -ERESTARTSYS : 0;
    }
    return -ENOIOCTLCMD;
  }
  int mmap(File&, Vma& v) override {
    ++mmaps;
    if (mmap_answer != 0) return mmap_answer;
    if (give_vm_ops) v.ops = &vm_ops;
    v.flags = (v.flags | VM_PFNMAP | VM_IO | VM_DONTEXPAND | set_flags) & ~clear_flags;
    return 0;
  }
  void release(File&) override {
    ++releases;
    log.push_back("release");
  }

  std::vector<std::string> log;
  RecordingVmOps vm_ops;
  int opens = 0;
  int open_answer = 0;
  int mmaps = 0;
  int mmap_answer = 0;
  bool give_vm_ops = true;
  uint64_t set_flags = 0;
  uint64_t clear_flags = 0;
  int releases = 0;
  bool saw_signal = false;
};

// The body of each test runs as task "main" of process p(), which holds no CPU until a
// system call (or the test, with CpuHold) takes one.
class KernelTest : public ::testing::Test {
 protected:
  // EPC for two TestEnclaves (tlb_shootdown_test.cc), RAM for a few hundred pages.
  static hw::Config config() { return testlib::small_config(32, 256); }

  KernelTest() : m_(config()), k_(m_), dev_(m_) {}

  void SetUp() override {
    k_.register_device("test", dev_);
    k_.register_device("nommap", plain_);
    p_ = std::make_unique<Process>(k_);
    task_.emplace(*p_, "main");
    scope_.emplace(*task_);
  }

  void TearDown() override {
    p_.reset();  // exits in the test's task, while the devices still exist
    scope_.reset();
    task_.reset();
  }

  Process& p() { return *p_; }
  Mm& mm() { return p_->mm(); }

  // An anonymous private mapping; at `fixed` with MAP_FIXED unless it is 0.
  long anon(uint64_t len, uint64_t prot = kRw, LAddr fixed = 0) {
    return p_->mmap(fixed, len, prot, kAnon | (fixed != 0 ? MAP_FIXED : 0), -1, 0);
  }
  // A mapping of the test device through a fresh descriptor (left open in `fd`).
  long device_map(uint64_t len, uint64_t prot = kRw, LAddr fixed = 0, int* fd = nullptr) {
    const int d = p_->open("test");
    if (d < 0) return d;
    if (fd != nullptr) *fd = d;
    return p_->mmap(fixed, len, prot, MAP_SHARED | (fixed != 0 ? MAP_FIXED : 0), d, 0);
  }

  uint64_t peek(LAddr a) {
    uint64_t v = 0;
    EXPECT_EQ(copy_from_user(&v, a, sizeof v), 0u) << "reading 0x" << std::hex << a;
    return v;
  }
  void poke(LAddr a, uint64_t v) {
    EXPECT_EQ(copy_to_user(a, &v, sizeof v), 0u) << "writing 0x" << std::hex << a;
  }
  hw::Pte pte(LAddr a) { return mm().page_table().get(a); }

  hw::Machine m_;
  Kernel k_;
  TestDevice dev_;
  FileOps plain_;  // no mmap: -ENODEV
  std::unique_ptr<Process> p_;
  std::optional<Task> task_;
  std::optional<TaskScope> scope_;
};

}  // namespace sgxref::kernel::test
