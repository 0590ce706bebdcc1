// ShmemFile, an enclave's backing store: sparse and page-indexed; get_page allocates a
// zeroed frame on first use, find_page never allocates, truncate_page frees, and an
// index past the end or a failed allocation (backing.alloc) gives 0.
#include <gtest/gtest.h>

#include <cstring>

#include "kernel/shmem.h"
#include "kernel_fixture.h"

namespace sgxref::kernel::test {
namespace {

constexpr uint64_t P = kPageSize;

class ShmemTest : public ::testing::Test {
 protected:
  ShmemTest() : m_(testlib::small_config(8, 16)) {}

  bool all_zero(PAddr pa) {
    const uint8_t* b = m_.ram().frame(pa);
    if (b == nullptr) return false;
    for (uint64_t i = 0; i < P; ++i) {
      if (b[i] != 0) return false;
    }
    return true;
  }

  hw::Machine m_;
  FaultInjection faults_;
};

TEST_F(ShmemTest, ANewFileHasNoPages) {
  ShmemFile f(m_, faults_, 10 * P);
  EXPECT_EQ(f.size(), 10 * P);
  EXPECT_EQ(f.pages_in_use(), 0u);
  for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ(f.find_page(i), 0u);
}

TEST_F(ShmemTest, GetPageAllocatesAZeroedFrameOnceAndReturnsItAgain) {
  ShmemFile f(m_, faults_, 4 * P);
  const uint32_t before = m_.ram().frames_in_use();
  const PAddr a = f.get_page(2);
  ASSERT_NE(a, 0u);
  EXPECT_EQ(hw::page_offset(a), 0u);
  EXPECT_TRUE(all_zero(a));
  std::memset(m_.ram().frame(a), 0x5A, P);
  EXPECT_EQ(f.get_page(2), a);
  EXPECT_EQ(m_.ram().frame(a)[17], 0x5A) << "the same page, contents kept";
  EXPECT_EQ(f.find_page(2), a);
  EXPECT_EQ(m_.ram().frames_in_use(), before + 1);
}

TEST_F(ShmemTest, PagesAreSparse) {
  ShmemFile f(m_, faults_, 100 * P);
  const PAddr hi = f.get_page(99);
  ASSERT_NE(hi, 0u);
  EXPECT_EQ(f.pages_in_use(), 1u);
  EXPECT_EQ(f.find_page(0), 0u);
  EXPECT_EQ(f.find_page(98), 0u);
  const PAddr lo = f.get_page(0);
  ASSERT_NE(lo, 0u);
  EXPECT_NE(lo, hi);
  EXPECT_EQ(f.pages_in_use(), 2u);
}

TEST_F(ShmemTest, FindPageNeverAllocates) {
  ShmemFile f(m_, faults_, 4 * P);
  const uint32_t before = m_.ram().frames_in_use();
  EXPECT_EQ(f.find_page(1), 0u);
  EXPECT_EQ(f.pages_in_use(), 0u);
  EXPECT_EQ(m_.ram().frames_in_use(), before);
}

TEST_F(ShmemTest, TruncatePageFreesItsFrameAndALaterGetPageIsZeroed) {
  ShmemFile f(m_, faults_, 4 * P);
  const uint32_t before = m_.ram().frames_in_use();
  const PAddr a = f.get_page(1);
  ASSERT_NE(a, 0u);
  std::memset(m_.ram().frame(a), 0xFF, P);
  ASSERT_NE(f.get_page(3), 0u);
  EXPECT_EQ(f.pages_in_use(), 2u);
  f.truncate_page(1);
  EXPECT_EQ(f.pages_in_use(), 1u);
  EXPECT_EQ(f.find_page(1), 0u);
  EXPECT_NE(f.find_page(3), 0u) << "other pages stay";
  EXPECT_EQ(m_.ram().frames_in_use(), before + 1);
  f.truncate_page(1);  // nothing there: nothing happens
  f.truncate_page(2);
  EXPECT_EQ(f.pages_in_use(), 1u);
  const PAddr again = f.get_page(1);
  ASSERT_NE(again, 0u);
  EXPECT_TRUE(all_zero(again));
}

TEST_F(ShmemTest, AnIndexBeyondTheFileGivesZero) {
  ShmemFile f(m_, faults_, 3 * P);
  EXPECT_EQ(f.get_page(3), 0u);
  EXPECT_EQ(f.get_page(1000), 0u);
  EXPECT_EQ(f.pages_in_use(), 0u);
  // A partial last page is a page.
  ShmemFile g(m_, faults_, P + 1);
  EXPECT_NE(g.get_page(1), 0u);
  EXPECT_EQ(g.get_page(2), 0u);
}

TEST_F(ShmemTest, BackingAllocInjectionFailsNewPagesOnly) {
  ShmemFile f(m_, faults_, 4 * P);
  const PAddr a = f.get_page(0);
  ASSERT_NE(a, 0u);
  faults_.enable(FailPoint::kBackingAlloc, 100, 3);
  EXPECT_EQ(f.get_page(1), 0u);
  EXPECT_EQ(f.find_page(1), 0u);
  EXPECT_EQ(f.pages_in_use(), 1u);
  EXPECT_EQ(faults_.failures(FailPoint::kBackingAlloc), 1u);
  EXPECT_EQ(f.get_page(0), a) << "a page that exists is found, not allocated";
  faults_.disable_all();
  EXPECT_NE(f.get_page(1), 0u);
}

TEST_F(ShmemTest, RamExhaustionGivesZero) {
  ShmemFile f(m_, faults_, 64 * P);
  uint64_t got = 0;
  for (uint64_t i = 0; i < 64; ++i) {
    if (f.get_page(i) == 0) break;
    ++got;
  }
  EXPECT_LT(got, 64u);
  EXPECT_EQ(f.pages_in_use(), got);
  EXPECT_EQ(f.get_page(got), 0u);
}

TEST_F(ShmemTest, DestroyingTheFileFreesEveryFrame) {
  const uint32_t before = m_.ram().frames_in_use();
  {
    ShmemFile f(m_, faults_, 8 * P);
    for (uint64_t i = 0; i < 8; i += 2) ASSERT_NE(f.get_page(i), 0u);
    EXPECT_EQ(m_.ram().frames_in_use(), before + 4);
  }
  EXPECT_EQ(m_.ram().frames_in_use(), before);
}

}  // namespace
}  // namespace sgxref::kernel::test
