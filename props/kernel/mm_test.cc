// mmap, mprotect and munmap as Linux's mm/mmap.c and mm/mprotect.c define them: the
// argument checks, where mappings go, what MAP_FIXED replaces, how rights change and
// VMAs split, and what a driver's VmOps hear about it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "kernel/user_mode.h"
#include "kernel_fixture.h"
#include "sched/controlled.h"
#include "sched/strategy.h"
#include "sched/thread.h"

namespace sgxref::kernel::test {
namespace {

using MmTest = KernelTest;

constexpr uint64_t P = kPageSize;

// --- mmap: arguments -------------------------------------------------------------------

TEST_F(MmTest, MmapOfLengthZeroIsEinval) {
  EXPECT_EQ(anon(0), -EINVAL);
  EXPECT_TRUE(ranges(mm()).empty());
}

TEST_F(MmTest, MmapWithAnUnalignedOffsetIsEinval) {
  const int fd = p().open("test");
  ASSERT_GE(fd, 0);
  EXPECT_EQ(p().mmap(0, P, kRw, MAP_SHARED, fd, 100), -EINVAL);
  EXPECT_EQ(dev_.mmaps, 0);
  EXPECT_TRUE(ranges(mm()).empty());
}

TEST_F(MmTest, MmapFixedAtAnUnalignedAddressIsEinval) {
  EXPECT_EQ(p().mmap(0x1000'0010, P, kRw, kAnon | MAP_FIXED, -1, 0), -EINVAL);
  EXPECT_TRUE(ranges(mm()).empty());
}

TEST_F(MmTest, MmapWithNeitherSharedNorPrivateIsEinval) {
  EXPECT_EQ(p().mmap(0, P, kRw, MAP_ANONYMOUS, -1, 0), -EINVAL);
  EXPECT_TRUE(ranges(mm()).empty());
}

// Linux >= 4.15 reads 0x03 as MAP_SHARED_VALIDATE; this slice documents "exactly one".
TEST_F(MmTest, MmapWithBothSharedAndPrivateIsEinval) {
  EXPECT_EQ(p().mmap(0, P, kRw, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), -EINVAL);
  EXPECT_TRUE(ranges(mm()).empty());
}

TEST_F(MmTest, MmapOfADescriptorThatIsNotOpenIsEbadf) {
  EXPECT_EQ(p().mmap(0, P, kRw, MAP_SHARED, 42, 0), -EBADF);
  const int fd = p().open("test");
  ASSERT_GE(fd, 0);
  ASSERT_EQ(p().close(fd), 0);
  EXPECT_EQ(p().mmap(0, P, kRw, MAP_SHARED, fd, 0), -EBADF);
  EXPECT_EQ(dev_.mmaps, 0);
  EXPECT_TRUE(ranges(mm()).empty());
}

TEST_F(MmTest, MmapOfADeviceWithoutMmapIsEnodevAndMapsNothing) {
  const int fd = p().open("nommap");
  ASSERT_GE(fd, 0);
  EXPECT_EQ(p().mmap(0, P, kRw, MAP_SHARED, fd, 0), -ENODEV);
  EXPECT_TRUE(ranges(mm()).empty());
}

TEST_F(MmTest, MmapTheDeviceRefusesMapsNothing) {
  dev_.mmap_answer = -EPERM;
  EXPECT_EQ(device_map(P), -EPERM);
  EXPECT_TRUE(ranges(mm()).empty());
}

// --- mmap: placement ------------------------------------------------------------------

TEST_F(MmTest, MmapReturnsPageAlignedNonOverlappingRangesOfWholePages) {
  const uint64_t lens[] = {1, P, P + 1, 3 * P + 5, 100, 2 * P};
  std::vector<Range> got;
  for (uint64_t len : lens) {
    const long a = anon(len);
    ASSERT_GT(a, 0) << "len " << len;
    EXPECT_EQ(hw::page_offset(uint64_t(a)), 0u) << "len " << len;
    got.push_back(Range{LAddr(a), LAddr(a) + (len + P - 1) / P * P, 0});
  }
  std::sort(got.begin(), got.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_LE(got[i - 1].end, got[i].start) << got[i - 1] << " overlaps " << got[i];
  }
  const std::vector<Range> vmas = ranges(mm());
  ASSERT_EQ(vmas.size(), got.size());
  for (size_t i = 0; i < vmas.size(); ++i) {
    EXPECT_EQ(vmas[i].start, got[i].start);
    EXPECT_EQ(vmas[i].end, got[i].end);
  }
}

TEST_F(MmTest, MmapGivesTheVmaTheRightsAskedAndEveryMayRight) {
  const long a = anon(P, PROT_READ);
  ASSERT_GT(a, 0);
  const std::vector<Range> v = ranges(mm());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].flags, VM_READ | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC);
  const long s = p().mmap(0, P, kRw, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_GT(s, 0);
  EXPECT_EQ(ranges(mm())[1].flags & (VM_SHARED | VM_MAYSHARE | kVmProtMask),
            VM_SHARED | VM_MAYSHARE | VM_READ | VM_WRITE);
}

TEST_F(MmTest, MmapFixedAboveTheTopOfUserSpaceIsEnomem) {
  EXPECT_EQ(anon(2 * P, kRw, 0x7fff'ffff'f000), -ENOMEM);
  EXPECT_TRUE(ranges(mm()).empty());
}

// --- anonymous memory -------------------------------------------------------------------

TEST_F(MmTest, AnonymousMemoryReadsZeroAndKeepsWhatIsWrittenThroughUaccess) {
  const long a = anon(3 * P);
  ASSERT_GT(a, 0);
  std::vector<uint8_t> buf(3 * P, 0xAA);
  ASSERT_EQ(copy_from_user(buf.data(), LAddr(a), buf.size()), 0u);
  EXPECT_TRUE(std::all_of(buf.begin(), buf.end(), [](uint8_t b) { return b == 0; }));

  for (size_t i = 0; i < buf.size(); ++i) buf[i] = uint8_t(i * 7 + 1);
  ASSERT_EQ(copy_to_user(LAddr(a) + 5, buf.data(), buf.size() - 5), 0u);
  std::vector<uint8_t> back(buf.size() - 5);
  ASSERT_EQ(copy_from_user(back.data(), LAddr(a) + 5, back.size()), 0u);
  EXPECT_TRUE(std::equal(back.begin(), back.end(), buf.begin()));
}

TEST_F(MmTest, AnonymousMemoryReadsZeroAndKeepsWhatIsWrittenThroughTheCpu) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  CpuHold cpu;
  uint64_t v = 0xFFFF;
  ASSERT_EQ(user_load(LAddr(a) + 8, &v, sizeof v), FaultResult::kHandled);
  EXPECT_EQ(v, 0u);
  // Straddles the two pages.
  const char msg[] = "across a page boundary";
  ASSERT_EQ(user_store(LAddr(a) + P - 7, msg, sizeof msg), FaultResult::kHandled);
  char back[sizeof msg] = {};
  ASSERT_EQ(user_load(LAddr(a) + P - 7, back, sizeof back), FaultResult::kHandled);
  EXPECT_STREQ(back, msg);
  // And the kernel sees the same bytes.
  char seen[sizeof msg] = {};
  ASSERT_EQ(copy_from_user(seen, LAddr(a) + P - 7, sizeof seen), 0u);
  EXPECT_STREQ(seen, msg);
}

TEST_F(MmTest, AnonymousPagesAreFaultedInOnFirstTouchOnly) {
  const long a = anon(4 * P);
  ASSERT_GT(a, 0);
  const uint32_t before = m_.ram().frames_in_use();
  EXPECT_FALSE(pte(LAddr(a)).present);
  poke(LAddr(a) + 2 * P, 1);
  EXPECT_EQ(m_.ram().frames_in_use(), before + 1);
  EXPECT_TRUE(pte(LAddr(a) + 2 * P).present);
  EXPECT_FALSE(pte(LAddr(a)).present);
}

// --- MAP_FIXED --------------------------------------------------------------------------

TEST_F(MmTest, MmapFixedReplacesWhatWasThere) {
  const long a = anon(3 * P);
  ASSERT_GT(a, 0);
  for (int i = 0; i < 3; ++i) poke(LAddr(a) + i * P, 0x1100 + i);
  const uint32_t before = m_.ram().frames_in_use();

  ASSERT_EQ(anon(P, PROT_READ, LAddr(a) + P), a + long(P));
  EXPECT_EQ(m_.ram().frames_in_use(), before - 1) << "the replaced page's frame is freed";
  EXPECT_EQ(peek(LAddr(a)), 0x1100u);
  EXPECT_EQ(peek(LAddr(a) + P), 0u) << "fresh anonymous memory";
  EXPECT_EQ(peek(LAddr(a) + 2 * P), 0x1102u);
  const std::vector<Range> v = ranges(mm());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[1].start, LAddr(a) + P);
  EXPECT_EQ(v[1].end, LAddr(a) + 2 * P);
  EXPECT_EQ(v[1].flags & kVmProtMask, VM_READ);
  EXPECT_EQ(v[0].flags & kVmProtMask, VM_READ | VM_WRITE);
}

TEST_F(MmTest, MmapFixedOverADriverMappingClosesTheReplacedPieceAndOpensTheSplits) {
  const long a = device_map(4 * P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(anon(2 * P, kRw, LAddr(a) + P), a + long(P));
  // Split at a+P (tail opened), split at a+3P (tail opened), [a+P, a+3P) closed.
  ASSERT_EQ(dev_.vm_ops.opened.size(), 2u);
  EXPECT_EQ(dev_.vm_ops.opened[0].start, LAddr(a) + P);
  EXPECT_EQ(dev_.vm_ops.opened[1].start, LAddr(a) + 3 * P);
  ASSERT_EQ(dev_.vm_ops.closed.size(), 1u);
  EXPECT_EQ(dev_.vm_ops.closed[0].start, LAddr(a) + P);
  EXPECT_EQ(dev_.vm_ops.closed[0].end, LAddr(a) + 3 * P);
  EXPECT_EQ(ranges(mm()).size(), 3u);
}

// Linux's mmap_region clears the PTEs of what MAP_FIXED replaces and closes it before the
// driver's mmap (vms_clean_up_area), so a refusal cannot put it back:
// vms_abort_munmap_vmas leaves a gap where the mapping failed.
TEST_F(MmTest, MmapFixedThatTheDeviceRefusesLeavesAGapWhereTheOldMappingWas) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 77);
  dev_.mmap_answer = -EPERM;
  EXPECT_EQ(device_map(P, kRw, LAddr(a)), -EPERM);
  const std::vector<Range> v = ranges(mm());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].start, LAddr(a) + P) << "only the page past the range is left";
}

// --- mprotect ---------------------------------------------------------------------------

TEST_F(MmTest, MprotectToReadOnlyMakesAUserStoreSigsegvAndKeepsTheData) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  CpuHold cpu;
  const uint64_t v = 0x1234'5678;
  ASSERT_EQ(user_store(LAddr(a), &v, sizeof v), FaultResult::kHandled);
  ASSERT_EQ(p().mprotect(LAddr(a), P, PROT_READ), 0);
  EXPECT_FALSE(pte(LAddr(a)).writable);
  const uint64_t w = 0xdead;
  EXPECT_EQ(user_store(LAddr(a), &w, sizeof w), FaultResult::kSigsegv);
  uint64_t back = 0;
  EXPECT_EQ(user_load(LAddr(a), &back, sizeof back), FaultResult::kHandled);
  EXPECT_EQ(back, v);
}

TEST_F(MmTest, MprotectBackToWritableLetsStoresThroughAgain) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 5);
  ASSERT_EQ(p().mprotect(LAddr(a), P, PROT_READ), 0);
  ASSERT_EQ(p().mprotect(LAddr(a), P, kRw), 0);
  CpuHold cpu;
  const uint64_t w = 6;
  EXPECT_EQ(user_store(LAddr(a), &w, sizeof w), FaultResult::kHandled);
  EXPECT_EQ(peek(LAddr(a)), 6u);
}

TEST_F(MmTest, MprotectToProtNoneMakesEveryUserAccessSigsegv) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 42);
  ASSERT_EQ(p().mprotect(LAddr(a), P, 0), 0);
  {
    CpuHold cpu;
    uint64_t v = 0;
    EXPECT_EQ(user_load(LAddr(a), &v, sizeof v), FaultResult::kSigsegv);
    EXPECT_EQ(user_store(LAddr(a), &v, sizeof v), FaultResult::kSigsegv);
  }
  uint64_t v = 0;
  EXPECT_EQ(copy_from_user(&v, LAddr(a), sizeof v), sizeof v);
  // The contents survive: rights given back, the page reads as it was.
  ASSERT_EQ(p().mprotect(LAddr(a), P, PROT_READ), 0);
  EXPECT_EQ(peek(LAddr(a)), 42u);
}

TEST_F(MmTest, UnmappingAProtNonePageFreesItsFrame) {
  const uint32_t before = m_.ram().frames_in_use();
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 1);
  poke(LAddr(a) + P, 2);
  ASSERT_EQ(p().mprotect(LAddr(a), P, 0), 0);
  ASSERT_EQ(p().munmap(LAddr(a), 2 * P), 0);
  EXPECT_EQ(m_.ram().frames_in_use(), before);
}

TEST_F(MmTest, MprotectToProtNoneOfADriverVmaUnmapsItsPagesUntilARightComesBack) {
  const long a = device_map(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 8);
  ASSERT_EQ(dev_.vm_ops.faults, 1);
  ASSERT_EQ(p().mprotect(LAddr(a), P, 0), 0);
  EXPECT_FALSE(pte(LAddr(a)).present);
  {
    CpuHold cpu;
    uint64_t v = 0;
    EXPECT_EQ(user_load(LAddr(a), &v, sizeof v), FaultResult::kSigsegv);
  }
  EXPECT_EQ(dev_.vm_ops.faults, 1) << "no fault handler for an access the VMA forbids";
  ASSERT_EQ(p().mprotect(LAddr(a), P, PROT_READ), 0);
  EXPECT_EQ(peek(LAddr(a)), 8u);
  EXPECT_EQ(dev_.vm_ops.faults, 2) << "faulted back in by the driver";
}

TEST_F(MmTest, MapFixedOverAProtNonePageFreesItsFrame) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 1);
  ASSERT_EQ(p().mprotect(LAddr(a), P, 0), 0);
  const uint32_t before = m_.ram().frames_in_use();
  ASSERT_EQ(anon(P, kRw, LAddr(a)), a);
  EXPECT_EQ(m_.ram().frames_in_use(), before - 1);
  EXPECT_EQ(peek(LAddr(a)), 0u);
}

TEST_F(MmTest, MprotectOfTheMiddleSplitsTheVmaInThree) {
  const long a = anon(3 * P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(p().mprotect(LAddr(a) + P, P, PROT_READ), 0);
  const uint64_t may = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  const std::vector<Range> want = {
      {LAddr(a), LAddr(a) + P, VM_READ | VM_WRITE | may},
      {LAddr(a) + P, LAddr(a) + 2 * P, VM_READ | may},
      {LAddr(a) + 2 * P, LAddr(a) + 3 * P, VM_READ | VM_WRITE | may},
  };
  EXPECT_EQ(ranges(mm()), want);
}

TEST_F(MmTest, MprotectAcrossTwoVmasChangesBoth) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(anon(P, kRw, LAddr(a) + 2 * P), a + long(2 * P));
  ASSERT_EQ(p().mprotect(LAddr(a) + P, 2 * P, PROT_READ), 0);
  const std::vector<Range> v = ranges(mm());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].flags & kVmProtMask, VM_READ | VM_WRITE);
  EXPECT_EQ(v[1].flags & kVmProtMask, VM_READ);
  EXPECT_EQ(v[2].flags & kVmProtMask, VM_READ);
}

TEST_F(MmTest, MprotectOfADriverVmaSplitOpensEachNewPiece) {
  const long a = device_map(3 * P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(p().mprotect(LAddr(a) + P, P, PROT_READ), 0);
  ASSERT_EQ(dev_.vm_ops.opened.size(), 2u);
  EXPECT_EQ(dev_.vm_ops.opened[0].start, LAddr(a) + P);
  EXPECT_EQ(dev_.vm_ops.opened[1].start, LAddr(a) + 2 * P);
  EXPECT_TRUE(dev_.vm_ops.closed.empty());
  ASSERT_EQ(dev_.vm_ops.mprotects.size(), 1u);
  EXPECT_EQ(dev_.vm_ops.mprotects[0].start, LAddr(a) + P);
  EXPECT_EQ(dev_.vm_ops.mprotects[0].end, LAddr(a) + 2 * P);
  EXPECT_EQ(dev_.vm_ops.mprotects[0].flags & kVmProtMask, VM_READ);
}

TEST_F(MmTest, MprotectOfAnUnmappedRangeIsEnomem) {
  EXPECT_EQ(p().mprotect(0x2000'0000, P, PROT_READ), -ENOMEM);
  const long a = anon(P);
  ASSERT_GT(a, 0);
  EXPECT_EQ(p().mprotect(LAddr(a) - P, 2 * P, PROT_READ), -ENOMEM) << "starts in a hole";
  EXPECT_EQ(p().mprotect(LAddr(a), 2 * P, PROT_READ), -ENOMEM) << "runs past the end";
}

TEST_F(MmTest, MprotectOverAHoleIsEnomem) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(anon(P, kRw, LAddr(a) + 2 * P), a + long(2 * P));
  EXPECT_EQ(p().mprotect(LAddr(a), 3 * P, PROT_READ), -ENOMEM);
  // do_mprotect_pkey changes VMA by VMA: the one before the hole took the new rights,
  // the one after it is untouched.
  EXPECT_EQ(ranges(mm()).front().flags & kVmProtMask, VM_READ);
  EXPECT_EQ(ranges(mm()).back().flags & kVmProtMask, VM_READ | VM_WRITE);
}

TEST_F(MmTest, MprotectChangesEachVmaBeforeTheOneItsDriverRefuses) {
  const long a = device_map(3 * P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(p().mprotect(LAddr(a) + P, P, PROT_READ), 0);
  dev_.vm_ops.refuse_from = LAddr(a) + 2 * P;
  dev_.vm_ops.mprotect_answer = -EACCES;
  EXPECT_EQ(p().mprotect(LAddr(a), 3 * P, 0), -EACCES);
  const std::vector<Range> v = ranges(mm());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].flags & kVmProtMask, 0u);
  EXPECT_EQ(v[1].flags & kVmProtMask, 0u);
  EXPECT_EQ(v[2].flags & kVmProtMask, VM_READ | VM_WRITE) << "the refused one";
}

TEST_F(MmTest, MprotectToTheRightsAVmaHasSplitsNothing) {
  const long a = anon(3 * P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(p().mprotect(LAddr(a) + P, P, kRw), 0);
  EXPECT_EQ(ranges(mm()).size(), 1u) << "mprotect_fixup returns early on equal flags";
}

TEST_F(MmTest, MprotectRefusedByTheVmaHookPropagatesAndChangesNothing) {
  const long a = device_map(3 * P);
  ASSERT_GT(a, 0);
  const std::vector<Range> before = ranges(mm());
  dev_.vm_ops.mprotect_answer = -EACCES;
  EXPECT_EQ(p().mprotect(LAddr(a) + P, P, PROT_READ), -EACCES);
  EXPECT_EQ(ranges(mm()), before);
  EXPECT_TRUE(dev_.vm_ops.opened.empty()) << "no split happened";
  ASSERT_EQ(dev_.vm_ops.mprotects.size(), 1u);
  EXPECT_EQ(dev_.vm_ops.mprotects[0],
            (Range{LAddr(a) + P, LAddr(a) + 2 * P, before[0].flags & ~uint64_t(VM_WRITE)}));
}

TEST_F(MmTest, MprotectBeyondTheVmasMayRightsIsEacces) {
  dev_.clear_flags = VM_MAYWRITE;
  const long a = device_map(P, PROT_READ);
  ASSERT_GT(a, 0);
  const std::vector<Range> before = ranges(mm());
  EXPECT_EQ(p().mprotect(LAddr(a), P, kRw), -EACCES);
  EXPECT_EQ(ranges(mm()), before);
  EXPECT_EQ(p().mprotect(LAddr(a), P, PROT_READ | PROT_EXEC), 0);
}

TEST_F(MmTest, MprotectArgumentChecks) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  EXPECT_EQ(p().mprotect(LAddr(a) + 1, P, PROT_READ), -EINVAL) << "unaligned start";
  EXPECT_EQ(p().mprotect(LAddr(a), P, 0x100), -EINVAL) << "unknown PROT bit";
  EXPECT_EQ(p().mprotect(0x3000'0000, 0, PROT_READ), 0) << "length 0 is a no-op";
  EXPECT_EQ(p().mprotect(LAddr(a), ~uint64_t(0) - 10, PROT_READ), -ENOMEM) << "wraps";
  EXPECT_EQ(ranges(mm())[0].flags & kVmProtMask, VM_READ | VM_WRITE);
}

// --- munmap -----------------------------------------------------------------------------

TEST_F(MmTest, MunmapRemovesThePtesSoALaterAccessFaults) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 9);
  ASSERT_TRUE(pte(LAddr(a)).present);
  ASSERT_EQ(p().munmap(LAddr(a), P), 0);
  EXPECT_FALSE(pte(LAddr(a)).present);
  EXPECT_TRUE(ranges(mm()).empty());
  CpuHold cpu;
  uint64_t v = 0;
  EXPECT_EQ(user_load(LAddr(a), &v, sizeof v), FaultResult::kSigsegv);
  EXPECT_EQ(copy_from_user(&v, LAddr(a), sizeof v), sizeof v);
  hw::Result r = this_cpu().load(LAddr(a), &v, sizeof v);
  EXPECT_EQ(r.fault.vector, hw::Vector::kPF);
}

TEST_F(MmTest, MunmapFreesTheAnonymousFrames) {
  const uint32_t before = m_.ram().frames_in_use();
  const long a = anon(3 * P);
  ASSERT_GT(a, 0);
  for (int i = 0; i < 3; ++i) poke(LAddr(a) + i * P, 1);
  EXPECT_EQ(m_.ram().frames_in_use(), before + 3);
  ASSERT_EQ(p().munmap(LAddr(a), 3 * P), 0);
  EXPECT_EQ(m_.ram().frames_in_use(), before);
}

TEST_F(MmTest, MunmapOfTheMiddleSplitsTheVmaAndKeepsBothEnds) {
  const long a = anon(3 * P);
  ASSERT_GT(a, 0);
  for (int i = 0; i < 3; ++i) poke(LAddr(a) + i * P, 0x10 + i);
  ASSERT_EQ(p().munmap(LAddr(a) + P, P), 0);
  const std::vector<Range> v = ranges(mm());
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].start, LAddr(a));
  EXPECT_EQ(v[0].end, LAddr(a) + P);
  EXPECT_EQ(v[1].start, LAddr(a) + 2 * P);
  EXPECT_EQ(v[1].end, LAddr(a) + 3 * P);
  EXPECT_EQ(peek(LAddr(a)), 0x10u);
  EXPECT_EQ(peek(LAddr(a) + 2 * P), 0x12u);
  uint64_t v1 = 0;
  EXPECT_EQ(copy_from_user(&v1, LAddr(a) + P, 8), 8u);
}

TEST_F(MmTest, MunmapClosesEachRemovedPieceAndOpensEachSplit) {
  const long a = device_map(4 * P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(p().munmap(LAddr(a) + P, 2 * P), 0);
  ASSERT_EQ(dev_.vm_ops.opened.size(), 2u);
  EXPECT_EQ(dev_.vm_ops.opened[0].start, LAddr(a) + P);
  EXPECT_EQ(dev_.vm_ops.opened[1].start, LAddr(a) + 3 * P);
  ASSERT_EQ(dev_.vm_ops.closed.size(), 1u);
  EXPECT_EQ(dev_.vm_ops.closed[0].start, LAddr(a) + P);
  EXPECT_EQ(dev_.vm_ops.closed[0].end, LAddr(a) + 3 * P);

  // One call across the two remaining pieces and the hole between them: a close each.
  ASSERT_EQ(p().munmap(LAddr(a), 4 * P), 0);
  ASSERT_EQ(dev_.vm_ops.closed.size(), 3u);
  EXPECT_EQ(dev_.vm_ops.closed[1], (Range{LAddr(a), LAddr(a) + P, dev_.vm_ops.closed[1].flags}));
  EXPECT_EQ(dev_.vm_ops.closed[2],
            (Range{LAddr(a) + 3 * P, LAddr(a) + 4 * P, dev_.vm_ops.closed[2].flags}));
  EXPECT_EQ(dev_.vm_ops.opened.size(), 2u);
  EXPECT_TRUE(ranges(mm()).empty());
}

TEST_F(MmTest, MunmapOfADriverMappingRemovesItsPtesButLeavesItsFrames) {
  const long a = device_map(P);
  ASSERT_GT(a, 0);
  poke(LAddr(a), 3);
  const PAddr frame = dev_.vm_ops.frame(LAddr(a));
  ASSERT_NE(frame, 0u);
  EXPECT_EQ(pte(LAddr(a)).pa, frame);
  ASSERT_EQ(p().munmap(LAddr(a), P), 0);
  EXPECT_FALSE(pte(LAddr(a)).present);
  ASSERT_NE(m_.ram().frame(frame), nullptr) << "the driver's frame is the driver's to free";
}

TEST_F(MmTest, MunmapOfNothingMappedSucceeds) {
  EXPECT_EQ(p().munmap(0x2000'0000, 4 * P), 0);
}

TEST_F(MmTest, MunmapArgumentChecks) {
  const long a = anon(P);
  ASSERT_GT(a, 0);
  EXPECT_EQ(p().munmap(LAddr(a), 0), -EINVAL);
  EXPECT_EQ(p().munmap(LAddr(a) + 8, P), -EINVAL);
  EXPECT_EQ(p().munmap(LAddr(a), ~uint64_t(0) - P), -EINVAL);
  EXPECT_EQ(ranges(mm()).size(), 1u);
}

TEST_F(MmTest, MunmapRoundsTheLengthUpToAPage) {
  const long a = anon(2 * P);
  ASSERT_GT(a, 0);
  ASSERT_EQ(p().munmap(LAddr(a), 1), 0);
  const std::vector<Range> v = ranges(mm());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].start, LAddr(a) + P);
}

// --- concurrent faults ------------------------------------------------------------------

// Two threads of one process touch a fresh anonymous page at once (mmap_lock held for
// reading by both): one page results, holding both writes (do_anonymous_page installs
// its page only if the PTE is still none, under the page table lock).
class FirstTouch {
 public:
  FirstTouch(Process& p, LAddr a) : p_(p), a_(a) {}
  void run() {
    sched::Thread t1("t1", [this] { left_[0] = store(a_, 0x1111); });
    sched::Thread t2("t2", [this] { left_[1] = store(a_ + 8, 0x2222); });
  }
  uint64_t left(int i) const { return left_[i]; }

 private:
  uint64_t store(LAddr at, uint64_t v) {
    Task t(p_, "toucher");
    TaskScope s(t);
    return copy_to_user(at, &v, sizeof v);
  }
  Process& p_;
  LAddr a_;
  uint64_t left_[2] = {1, 1};
};

TEST_F(MmTest, ConcurrentFirstTouchesOfAnAnonymousPageKeepBothWritesInOnePage) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    const long a = anon(P);
    ASSERT_GT(a, 0);
    const uint32_t before = m_.ram().frames_in_use();
    FirstTouch f(p(), LAddr(a));
    sched::Controlled s(seed % 2 == 0 ? sched::random(seed) : sched::pct(seed, 2, 30));
    const sched::Outcome o = s.run([&] { f.run(); });
    ASSERT_TRUE(o.completed()) << "seed " << seed << ": " << o.report();
    EXPECT_EQ(f.left(0), 0u);
    EXPECT_EQ(f.left(1), 0u);
    EXPECT_EQ(peek(LAddr(a)), 0x1111u) << "seed " << seed << ": " << sched::to_string(o.schedule);
    EXPECT_EQ(peek(LAddr(a) + 8), 0x2222u) << "seed " << seed;
    EXPECT_EQ(m_.ram().frames_in_use(), before + 1) << "seed " << seed << ": a frame leaked";
    ASSERT_EQ(p().munmap(LAddr(a), P), 0);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace sgxref::kernel::test
