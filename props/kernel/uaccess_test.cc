// copy_from_user / copy_to_user: like Linux's they return the bytes NOT copied, fault
// pages in on the way, and stop at the first page the process may not access that way.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "kernel_fixture.h"

namespace sgxref::kernel::test {
namespace {

using UaccessTest = KernelTest;

constexpr uint64_t P = kPageSize;

TEST_F(UaccessTest, AFullCopyReturnsZeroBytesNotCopied) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  std::vector<uint8_t> out(P + 100);
  std::iota(out.begin(), out.end(), uint8_t(3));
  EXPECT_EQ(copy_to_user(LAddr(a) + 50, out.data(), out.size()), 0u);
  std::vector<uint8_t> in(out.size());
  EXPECT_EQ(copy_from_user(in.data(), LAddr(a) + 50, in.size()), 0u);
  EXPECT_EQ(in, out);
}

TEST_F(UaccessTest, ACopyOfZeroBytesCopiesNothingAndSucceeds) {
  uint8_t b = 7;
  EXPECT_EQ(copy_from_user(&b, 0x2000'0000, 0), 0u);
  EXPECT_EQ(copy_to_user(0x2000'0000, &b, 0), 0u);
  EXPECT_EQ(b, 7);
}

TEST_F(UaccessTest, CopyFromAnUnmappedAddressCopiesNothing) {
  uint64_t v = 0x55;
  EXPECT_EQ(copy_from_user(&v, 0x2000'0000, sizeof v), sizeof v);
  EXPECT_EQ(v, 0x55u) << "the destination is left alone";
  EXPECT_EQ(copy_to_user(0x2000'0000, &v, sizeof v), sizeof v);
  EXPECT_TRUE(ranges(mm()).empty()) << "nothing is mapped by a failed copy";
}

TEST_F(UaccessTest, CopyFromUserStopsAtTheBoundaryOfAnUnmappedPage) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(p().munmap(LAddr(a) + P, P), 0);
  std::vector<uint8_t> src(96, 0x3C);
  ASSERT_EQ(copy_to_user(LAddr(a) + P - 96, src.data(), src.size()), 0u);
  std::vector<uint8_t> dst(200, 0);
  EXPECT_EQ(copy_from_user(dst.data(), LAddr(a) + P - 96, dst.size()), 104u);
  EXPECT_TRUE(std::all_of(dst.begin(), dst.begin() + 96, [](uint8_t b) { return b == 0x3C; }));
  EXPECT_TRUE(std::all_of(dst.begin() + 96, dst.end(), [](uint8_t b) { return b == 0; }));
}

TEST_F(UaccessTest, CopyFromUserStopsAtTheBoundaryOfAnUnreadablePage) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  poke(LAddr(a) + P, 0x99);  // the second page is present before it loses its rights
  ASSERT_EQ(p().mprotect(LAddr(a) + P, P, 0), 0);
  std::vector<uint8_t> dst(64, 0xEE);
  EXPECT_EQ(copy_from_user(dst.data(), LAddr(a) + P - 16, dst.size()), 48u);
  EXPECT_TRUE(std::all_of(dst.begin(), dst.begin() + 16, [](uint8_t b) { return b == 0; }));
  EXPECT_TRUE(std::all_of(dst.begin() + 16, dst.end(), [](uint8_t b) { return b == 0xEE; }));
}

TEST_F(UaccessTest, CopyToUserStopsAtTheBoundaryOfAReadOnlyPage) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(p().mprotect(LAddr(a) + P, P, PROT_READ), 0);
  std::vector<uint8_t> src(64, 0x42);
  EXPECT_EQ(copy_to_user(LAddr(a) + P - 16, src.data(), src.size()), 48u);
  std::vector<uint8_t> back(64);
  ASSERT_EQ(copy_from_user(back.data(), LAddr(a) + P - 16, back.size()), 0u);
  EXPECT_TRUE(std::all_of(back.begin(), back.begin() + 16, [](uint8_t b) { return b == 0x42; }));
  EXPECT_TRUE(std::all_of(back.begin() + 16, back.end(), [](uint8_t b) { return b == 0; }));
}

TEST_F(UaccessTest, CopyToUserWidensAPteMprotectNarrowedBefore) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 1);
  ASSERT_EQ(p().mprotect(LAddr(a), P, PROT_READ), 0);
  ASSERT_FALSE(pte(LAddr(a)).writable);
  ASSERT_EQ(p().mprotect(LAddr(a), P, kRw), 0);
  poke(LAddr(a), 2);
  EXPECT_TRUE(pte(LAddr(a)).writable);
  EXPECT_EQ(peek(LAddr(a)), 2u);
}

TEST_F(UaccessTest, FaultInjectionStopsCopyFromUserMidway) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  std::vector<uint8_t> src(64);
  std::iota(src.begin(), src.end(), uint8_t(1));
  ASSERT_EQ(copy_to_user(LAddr(a), src.data(), src.size()), 0u);

  k_.faults().enable(FailPoint::kCopyFromUser, 100, 1);
  std::vector<uint8_t> dst(64, 0);
  const uint64_t left = copy_from_user(dst.data(), LAddr(a), dst.size());
  EXPECT_GT(left, 0u);
  EXPECT_LT(left, dst.size());
  const size_t copied = dst.size() - left;
  EXPECT_TRUE(std::equal(dst.begin(), dst.begin() + long(copied), src.begin()));
  EXPECT_TRUE(std::all_of(dst.begin() + long(copied), dst.end(), [](uint8_t b) { return b == 0; }));
  EXPECT_EQ(k_.faults().failures(FailPoint::kCopyFromUser), 1u);

  // copy_to_user is not a copy from user space.
  EXPECT_EQ(copy_to_user(LAddr(a), src.data(), src.size()), 0u);
  EXPECT_EQ(k_.faults().failures(FailPoint::kCopyFromUser), 1u);

  k_.faults().disable_all();
  EXPECT_EQ(copy_from_user(dst.data(), LAddr(a), dst.size()), 0u);
  EXPECT_EQ(dst, src);
}

TEST_F(UaccessTest, CopyToUserFaultsInAnonymousPages) {
  const long a = anon(3 * P);
  ASSERT_GT(a, 0);
  std::vector<uint8_t> src(3 * P, 1);
  EXPECT_EQ(copy_to_user(LAddr(a), src.data(), src.size()), 0u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(pte(LAddr(a) + i * P).present) << i;
}

TEST_F(UaccessTest, CopyFromADriverMappingGoesThroughItsFaultHandler) {
  const long a = device_map(2 * P);
  ASSERT_GT(a, 0);
  poke(LAddr(a) + P + 8, 0xABCD);
  EXPECT_EQ(dev_.vm_ops.faults, 1);
  EXPECT_EQ(peek(LAddr(a) + P + 8), 0xABCDu);
  EXPECT_EQ(dev_.vm_ops.faults, 1) << "the PTE is in place after the first fault";
  const PAddr frame = dev_.vm_ops.frame(LAddr(a) + P);
  ASSERT_NE(frame, 0u);
  uint64_t raw = 0;
  ASSERT_FALSE(m_.read(frame + 8, &raw, sizeof raw).faulted());
  EXPECT_EQ(raw, 0xABCDu);
}

TEST_F(UaccessTest, CopyFromADriverMappingWhoseHandlerAnswersSigbusCopiesNothing) {
  const long a = device_map(P);
  ASSERT_GT(a, 0);
  dev_.vm_ops.answer = VmFault::kSigbus;
  uint64_t v = 0;
  EXPECT_EQ(copy_from_user(&v, LAddr(a), sizeof v), sizeof v);
}

TEST_F(UaccessTest, CopyFromUserOfEpcMappedIntoTheProcessReadsTheAbortPage) {
  const long a = device_map(P);
  ASSERT_GT(a, 0);
  dev_.vm_ops.map_on_fault = false;
  {
    sched::ReaderLock l(mm().mmap_lock);
    Vma* v = mm().find_vma(LAddr(a));
    ASSERT_NE(v, nullptr);
    ASSERT_EQ(mm().insert_pfn(*v, LAddr(a), m_.epc_addr(0)), VmFault::kNoPage);
  }
  uint64_t v = 0;
  EXPECT_EQ(copy_from_user(&v, LAddr(a), sizeof v), 0u);
  EXPECT_EQ(v, ~uint64_t(0));
}

}  // namespace
}  // namespace sgxref::kernel::test
