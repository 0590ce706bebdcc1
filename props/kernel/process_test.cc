// A process's files and system calls: descriptors, the device's release on the last
// fput (a mapping holds the file too), ioctl's errnos, a signal interrupting a call, and
// do_exit's order (exit_mm, then exit_files).
#include <gtest/gtest.h>

#include <vector>

#include "kernel_fixture.h"

namespace sgxref::kernel::test {
namespace {

using ProcessTest = KernelTest;

constexpr uint64_t P = kPageSize;

TEST_F(ProcessTest, OpenOfAnUnknownDeviceIsEnoent) {
  EXPECT_EQ(p().open("nosuch"), -ENOENT);
  EXPECT_EQ(dev_.opens, 0);
}

TEST_F(ProcessTest, OpenGivesDistinctDescriptorsFromThree) {
  const int a = p().open("test");
  const int b = p().open("test");
  EXPECT_EQ(a, 3);
  EXPECT_EQ(b, 4);
  EXPECT_NE(p().file(a), p().file(b)) << "each open is a file of its own";
  EXPECT_EQ(dev_.opens, 2);
}

TEST_F(ProcessTest, ReleaseRunsWhenTheLastDescriptorIsClosed) {
  const int fd = p().open("test");
  ASSERT_GE(fd, 0);
  EXPECT_EQ(dev_.releases, 0);
  EXPECT_EQ(p().close(fd), 0);
  EXPECT_EQ(dev_.releases, 1);
  EXPECT_EQ(p().file(fd), nullptr);
}

TEST_F(ProcessTest, CloseOfADescriptorThatIsNotOpenIsEbadf) {
  EXPECT_EQ(p().close(3), -EBADF);
  const int fd = p().open("test");
  ASSERT_EQ(p().close(fd), 0);
  EXPECT_EQ(p().close(fd), -EBADF);
  EXPECT_EQ(dev_.releases, 1);
}

TEST_F(ProcessTest, AMappingKeepsTheFileSoReleaseWaitsForMunmap) {
  int fd = -1;
  const long a = device_map(2 * P, kRw, 0, &fd);
  ASSERT_GT(a, 0);
  ASSERT_EQ(p().close(fd), 0);
  EXPECT_EQ(dev_.releases, 0) << "the VMA still holds the file";
  poke(LAddr(a), 1);  // the mapping still works without the descriptor
  ASSERT_EQ(p().munmap(LAddr(a), P), 0);
  EXPECT_EQ(dev_.releases, 0) << "half the mapping is left";
  ASSERT_EQ(p().munmap(LAddr(a) + P, P), 0);
  EXPECT_EQ(dev_.releases, 1);
  EXPECT_EQ(dev_.log.back(), "release");
}

TEST_F(ProcessTest, ReleaseDoesNotRunForAFileWhoseOpenFailed) {
  dev_.open_answer = -EBUSY;
  EXPECT_EQ(p().open("test"), -EBUSY);
  EXPECT_EQ(dev_.opens, 1);
  EXPECT_EQ(dev_.releases, 0);
  EXPECT_EQ(p().file(3), nullptr);
  dev_.open_answer = 0;
  EXPECT_EQ(p().open("test"), 3) << "the failed open used no descriptor";
}

TEST_F(ProcessTest, AnOpenInterruptedBySignalIsEintr) {
  dev_.open_answer = -ERESTARTSYS;
  task_->send_signal();
  EXPECT_EQ(p().open("test"), -EINTR);
  EXPECT_FALSE(task_->signal_pending());
  EXPECT_EQ(dev_.releases, 0);
}

TEST_F(ProcessTest, IoctlPassesTheDevicesAnswerThrough) {
  const int fd = p().open("test");
  ASSERT_GE(fd, 0);
  EXPECT_EQ(p().ioctl(fd, TestDevice::kEcho, 0), 0);
  EXPECT_EQ(p().ioctl(fd, TestDevice::kEcho, 1234), 1234);
  EXPECT_EQ(p().ioctl(fd, TestDevice::kEcho, LAddr(-EFAULT)), -EFAULT);
}

TEST_F(ProcessTest, IoctlOfACommandTheDeviceDoesNotKnowIsEnotty) {
  const int fd = p().open("test");
  ASSERT_GE(fd, 0);
  EXPECT_EQ(p().ioctl(fd, 0xBAD, 0), -ENOTTY);
  const int plain = p().open("nommap");
  ASSERT_GE(plain, 0);
  EXPECT_EQ(p().ioctl(plain, TestDevice::kEcho, 5), -ENOTTY) << "FileOps' default";
}

TEST_F(ProcessTest, IoctlOnADescriptorThatIsNotOpenIsEbadf) {
  EXPECT_EQ(p().ioctl(3, TestDevice::kEcho, 0), -EBADF);
  const int fd = p().open("test");
  ASSERT_EQ(p().close(fd), 0);
  EXPECT_EQ(p().ioctl(fd, TestDevice::kEcho, 0), -EBADF);
}

TEST_F(ProcessTest, ErestartsysFromADeviceReachesTheUserAsEintrAndTheSignalIsCleared) {
  const int fd = p().open("test");
  ASSERT_GE(fd, 0);
  task_->send_signal();
  ASSERT_TRUE(task_->signal_pending());
  EXPECT_EQ(p().ioctl(fd, TestDevice::kInterruptible, 0), -EINTR);
  EXPECT_TRUE(dev_.saw_signal);
  EXPECT_FALSE(task_->signal_pending()) << "delivered on the way out";
  EXPECT_EQ(p().ioctl(fd, TestDevice::kInterruptible, 0), 0);
  EXPECT_FALSE(dev_.saw_signal);
}

TEST_F(ProcessTest, SignalPendingFaultInjectionInterruptsTheIoctl) {
  const int fd = p().open("test");
  ASSERT_GE(fd, 0);
  k_.faults().enable(FailPoint::kSignalPending, 100, 7);
  EXPECT_EQ(p().ioctl(fd, TestDevice::kInterruptible, 0), -EINTR);
  EXPECT_GE(k_.faults().failures(FailPoint::kSignalPending), 1u);
  k_.faults().disable_all();
  EXPECT_EQ(p().ioctl(fd, TestDevice::kInterruptible, 0), 0);
}

TEST_F(ProcessTest, ASystemCallHoldsACpuOnlyWhileItRuns) {
  const int fd = p().open("test");
  ASSERT_GE(fd, 0);
  EXPECT_EQ(task_->cpu(), nullptr);
  ASSERT_GT(anon(P), 0);
  EXPECT_EQ(task_->cpu(), nullptr);
  {
    CpuHold cpu;
    hw::Cpu* held = task_->cpu();
    ASSERT_NE(held, nullptr);
    EXPECT_EQ(p().ioctl(fd, TestDevice::kEcho, 1), 1);
    EXPECT_EQ(task_->cpu(), held) << "a call made while running keeps the task's CPU";
  }
  EXPECT_EQ(task_->cpu(), nullptr);
}

// do_exit: exit_mm (every VMA closed) before exit_files (the last fput's release).
TEST_F(ProcessTest, ExitUnmapsEverythingThenClosesTheFiles) {
  int fd = -1;
  const long a = device_map(2 * P, kRw, 0, &fd);
  ASSERT_GT(a, 0);
  ASSERT_GT(anon(3 * P), 0);
  const long b = anon(P);
  ASSERT_GT(b, 0);
  poke(LAddr(b), 1);
  ASSERT_GE(p().open("test"), 0);  // a second file, with no mapping
  dev_.log.clear();
  const uint32_t frames = m_.ram().frames_in_use();

  p().exit();
  EXPECT_TRUE(p().exited());
  EXPECT_EQ(dev_.releases, 2);
  const std::vector<std::string> want = {"vma.close", "release", "release"};
  EXPECT_EQ(dev_.log, want);
  EXPECT_EQ(m_.ram().frames_in_use(), frames - 1) << "the anonymous page is freed";
  p().exit();  // a second exit does nothing
  EXPECT_EQ(dev_.releases, 2);
}

TEST_F(ProcessTest, AProcessDestroyedOutsideAnyTaskExitsInATaskOfItsOwn) {
  scope_.reset();
  auto other = std::make_unique<Process>(k_);
  {
    Task t(*other, "t");
    TaskScope s(t);
    ASSERT_GE(other->open("test"), 0);
    ASSERT_GT(other->mmap(0, P, kRw, kAnon, -1, 0), 0);
  }
  other.reset();
  EXPECT_EQ(dev_.releases, 1);
  scope_.emplace(*task_);
}

TEST_F(ProcessTest, AccessProcessVmReadsAndWritesAnonymousMemory) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  poke(LAddr(a) + P - 4, 0x1122'3344'5566'7788);
  uint64_t v = 0;
  EXPECT_EQ(p().access_process_vm(LAddr(a) + P - 4, &v, 8, false), 8);
  EXPECT_EQ(v, 0x1122'3344'5566'7788u);
  const uint64_t w = 99;
  EXPECT_EQ(p().access_process_vm(LAddr(a) + 16, const_cast<uint64_t*>(&w), 8, true), 8);
  EXPECT_EQ(peek(LAddr(a) + 16), 99u);
  EXPECT_EQ(p().access_process_vm(0x2000'0000, &v, 8, false), -EIO);
}

TEST_F(ProcessTest, AccessProcessVmOfADriverMappingAsksItsAccessHook) {
  const long a = device_map(P);
  ASSERT_GT(a, 0);
  uint64_t v = 0;
  EXPECT_EQ(p().access_process_vm(LAddr(a), &v, 8, false), -EIO) << "VmOps' default";
  EXPECT_EQ(dev_.vm_ops.faults, 0) << "a VM_PFNMAP mapping is not faulted in by ptrace";
}

}  // namespace
}  // namespace sgxref::kernel::test
