// Backing memory freed after a page comes back (Linux 08999b2489b4): __sgx_encl_eldu
// truncates the page's contents from the shmem backing and, once no PCMD is left in it,
// the PCMD page too. Before the fix the file only grew: every page ever evicted kept
// its copy for the enclave's lifetime. Not a race; it sits here because the PCMD
// truncation it introduced is what the PCMD races are about.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "driver/driver_fixture.h"
#include "driver/encl.h"
#include "kernel/run_queue.h"

namespace sgxref::testlib {
namespace {

constexpr uint64_t kPage = hw::kPageSize;

TEST(Races, ElduFreesBacking_08999b2489b4) {
  DriverFixture f;
  EnclaveSpec spec;
  spec.reg_pages = 40;  // the TCS and 40 pages: PCMDs in two backing pages
  const int fd = f.build_enclave(spec);
  driver::Encl& encl = f.encl_of(fd);
  ASSERT_EQ(encl.backing->pages_in_use(), 0u);
  for (int round = 0; round < 2; ++round) {
    {
      kernel::CpuHold cpu;
      while (f.sgx().lru_pages() > 0) f.sgx().reclaim_pages();
    }
    // Every page, the SECS and the TCS included, out: 42 contents pages and the PCMD
    // pages of indices 0-31, 32-40 and the SECS's (index 64).
    EXPECT_EQ(encl.backing->pages_in_use(), 42u + 3u) << "round " << round;
    for (uint64_t i = 0; i < spec.reg_pages; ++i) {
      std::vector<uint8_t> got(kPage);
      ASSERT_EQ(f.peek(spec.base + (1 + i) * kPage, got.data(), int(kPage)), int(kPage));
      EXPECT_EQ(got, DriverFixture::page_bytes(spec, i)) << "page " << i;
    }
    // All but the TCS back: its contents page and its PCMD (alone in the first PCMD
    // page) are all the file still holds.
    EXPECT_EQ(encl.backing->pages_in_use(), 2u) << "round " << round;
  }
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

}  // namespace
}  // namespace sgxref::testlib
