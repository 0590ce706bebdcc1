// fork (kernel/fork.c dup_mm/dup_mmap, dup_fd): the child gets a private copy of
// anonymous memory, no VM_DONTCOPY VMA, a driver VMA's PTEs as they are with the
// driver's open() told of the copy, and the same open files.
#include <gtest/gtest.h>

#include <memory>

#include "kernel_fixture.h"

namespace sgxref::kernel::test {
namespace {

constexpr uint64_t P = kPageSize;

class ForkTest : public KernelTest {
 protected:
  // Runs `f` as a task of `child`.
  template <typename F>
  void in(Process& child, const F& f) {
    Task t(child, "child");
    TaskScope s(t);
    f();
  }
};

TEST_F(ForkTest, TheChildSeesACopyOfAnonymousMemory) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 0x1111);
  poke(LAddr(a) + P, 0x2222);
  std::unique_ptr<Process> child = p().fork();
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(ranges(child->mm()), ranges(mm()));
  in(*child, [&] {
    EXPECT_EQ(peek(LAddr(a)), 0x1111u);
    EXPECT_EQ(peek(LAddr(a) + P), 0x2222u);
  });
  EXPECT_NE(child->mm().page_table().get(LAddr(a)).pa, pte(LAddr(a)).pa)
      << "a frame of its own";
}

TEST_F(ForkTest, WritesAfterForkArePrivateToEachSide) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 1);
  std::unique_ptr<Process> child = p().fork();
  poke(LAddr(a), 2);
  in(*child, [&] {
    EXPECT_EQ(peek(LAddr(a)), 1u);
    poke(LAddr(a), 3);
    poke(LAddr(a) + 8, 4);
  });
  EXPECT_EQ(peek(LAddr(a)), 2u);
  EXPECT_EQ(peek(LAddr(a) + 8), 0u);
  in(*child, [&] { EXPECT_EQ(peek(LAddr(a)), 3u); });
}

TEST_F(ForkTest, PagesNeverTouchedStayUnmappedInTheChildAndReadZero) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 1);
  std::unique_ptr<Process> child = p().fork();
  EXPECT_FALSE(child->mm().page_table().get(LAddr(a) + P).present);
  in(*child, [&] { EXPECT_EQ(peek(LAddr(a) + P), 0u); });
}

TEST_F(ForkTest, TheChildGetsItsOwnCopyOfAProtNonePage) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 0x5151);
  ASSERT_EQ(p().mprotect(LAddr(a), P, 0), 0);
  std::unique_ptr<Process> child = p().fork();
  ASSERT_EQ(p().mprotect(LAddr(a), P, kRw), 0);
  poke(LAddr(a), 1);
  in(*child, [&] {
    ASSERT_EQ(child->mprotect(LAddr(a), P, PROT_READ), 0);
    EXPECT_EQ(peek(LAddr(a)), 0x5151u);
  });
}

TEST_F(ForkTest, DontcopyVmasAreNotCopied) {
  dev_.set_flags = VM_DONTCOPY;
  const long d = device_map(P);
  ASSERT_GT(d, 0);
  poke(LAddr(d), 1);
  const long a = anon(P);
  ASSERT_GT(a, 0);
  std::unique_ptr<Process> child = p().fork();
  const std::vector<Range> v = ranges(child->mm());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].start, LAddr(a));
  EXPECT_FALSE(child->mm().page_table().get(LAddr(d)).present);
  EXPECT_TRUE(dev_.vm_ops.opened.empty());
  in(*child, [&] {
    uint64_t x = 0;
    EXPECT_EQ(copy_from_user(&x, LAddr(d), 8), 8u);
  });
}

TEST_F(ForkTest, OpenIsCalledForEachCopiedDriverVmaInTheChild) {
  const long a = device_map(3 * P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(p().mprotect(LAddr(a) + 2 * P, P, PROT_READ), 0);  // two VMAs now
  dev_.vm_ops.opened.clear();
  dev_.vm_ops.opened_in.clear();
  std::unique_ptr<Process> child = p().fork();
  ASSERT_EQ(dev_.vm_ops.opened.size(), 2u);
  EXPECT_EQ(dev_.vm_ops.opened[0].start, LAddr(a));
  EXPECT_EQ(dev_.vm_ops.opened[1].start, LAddr(a) + 2 * P);
  EXPECT_EQ(dev_.vm_ops.opened_in[0], &child->mm());
  EXPECT_EQ(dev_.vm_ops.opened_in[1], &child->mm());
}

TEST_F(ForkTest, ADriverVmasPtesAreCopiedAsTheyAre) {
  const long a = device_map(2 * P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 0x77);
  std::unique_ptr<Process> child = p().fork();
  const hw::Pte c = child->mm().page_table().get(LAddr(a));
  ASSERT_TRUE(c.present);
  EXPECT_EQ(c.pa, pte(LAddr(a)).pa) << "VM_PFNMAP: the same frame";
  EXPECT_FALSE(child->mm().page_table().get(LAddr(a) + P).present);
  in(*child, [&] { EXPECT_EQ(peek(LAddr(a)), 0x77u); });
  EXPECT_EQ(dev_.vm_ops.faults, 1);
}

TEST_F(ForkTest, TheDescriptorTableIsCopiedAndTheFilesShared) {
  const int fd = p().open("test");
  ASSERT_GE(fd, 0);
  std::unique_ptr<Process> child = p().fork();
  ASSERT_NE(child->file(fd), nullptr);
  EXPECT_EQ(child->file(fd), p().file(fd)) << "the same struct file";
  EXPECT_EQ(dev_.opens, 1);
  in(*child, [&] {
    EXPECT_EQ(child->ioctl(fd, TestDevice::kEcho, 8), 8);
    EXPECT_EQ(child->open("test"), fd + 1) << "the child's next descriptor follows";
  });
  ASSERT_EQ(p().close(fd), 0);
  EXPECT_EQ(dev_.releases, 0) << "the child still has it";
  in(*child, [&] { ASSERT_EQ(child->close(fd), 0); });
  EXPECT_EQ(dev_.releases, 1);
}

TEST_F(ForkTest, TheChildsExitLeavesTheParentsMemoryAndFiles) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 5);
  int fd = -1;
  const long d = device_map(P, kRw, 0, &fd);
  ASSERT_GT(d, 0);
  poke(LAddr(d), 6);
  std::unique_ptr<Process> child = p().fork();
  const uint32_t frames = m_.ram().frames_in_use();
  child.reset();
  EXPECT_EQ(m_.ram().frames_in_use(), frames - 1) << "the child's copy of the anonymous page";
  EXPECT_EQ(dev_.vm_ops.closed.size(), 1u) << "the child's copy of the driver VMA";
  EXPECT_EQ(dev_.releases, 0);
  EXPECT_EQ(peek(LAddr(a)), 5u);
  EXPECT_EQ(peek(LAddr(d)), 6u);
  EXPECT_EQ(p().ioctl(fd, TestDevice::kEcho, 1), 1);
}

}  // namespace
}  // namespace sgxref::kernel::test
