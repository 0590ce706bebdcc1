// An enclave four times the size of the EPC: built, written and read back byte for byte
// while the reclaimer evicts and the fault paths reload, with no driver WARN and the
// EPC accounted for exactly at the end (DESIGN.md D1, D2, D5).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "driver_fixture.h"
#include "hw/inspect.h"
#include "kernel/run_queue.h"
#include "kernel/user_mode.h"

namespace sgxref::testlib {
namespace {

constexpr uint64_t kPage = hw::kPageSize;

// EPC pages the EPCM holds valid, and whether every valid child's SECS is valid (D5).
struct EpcmCount {
  uint64_t valid = 0;
  bool children_have_their_secs = true;
};

EpcmCount count_epcm(hw::Machine& m) {
  hw::Inspector in(m);
  EpcmCount c;
  for (uint32_t s = 0; s < m.epc_pages(); ++s) {
    const hw::EpcmEntry e = in.epcm(s);
    if (!e.valid) continue;
    ++c.valid;
    const bool child = e.type == hw::PageType::kReg || e.type == hw::PageType::kTcs ||
                       e.type == hw::PageType::kTrim;
    if (child) {
      const hw::EpcmEntry secs = in.epcm(e.secs);
      if (!secs.valid || secs.type != hw::PageType::kSecs) c.children_have_their_secs = false;
    }
  }
  return c;
}

std::vector<uint8_t> rewritten(const EnclaveSpec& spec, uint64_t i) {
  std::vector<uint8_t> page = DriverFixture::page_bytes(spec, i);
  for (uint8_t& b : page) b = uint8_t(~b);
  return page;
}

TEST(DriverOversubscription, FourTimesTheEpcBuiltWrittenAndReadBackByteForByteWithoutWarn) {
  DriverFixtureOptions o;
  o.epc_pages = 1024;
  o.epc_sections = 2;
  DriverFixture f(o);
  EnclaveSpec spec;
  spec.reg_pages = 4 * o.epc_pages;
  const int fd = f.build_enclave(spec);
  EXPECT_GT(f.sgx().lru_pages(), 0u);

  // Written through EDBGWR, then read back through EDBGRD and through the fault
  // handler (an access from outside the enclave maps the page, which then reads as the
  // abort page), every page reloaded by ELDU where ksgxd evicted it.
  for (uint64_t i = 0; i < spec.reg_pages; ++i) {
    f.reclaim_if_low();
    const std::vector<uint8_t> page = rewritten(spec, i);
    ASSERT_EQ(f.poke(spec.base + (1 + i) * kPage, page.data(), int(kPage)), int(kPage)) << i;
  }
  for (uint64_t i = 0; i < spec.reg_pages; ++i) {
    f.reclaim_if_low();
    std::vector<uint8_t> got(kPage);
    ASSERT_EQ(f.peek(spec.base + (1 + i) * kPage, got.data(), int(kPage)), int(kPage)) << i;
    ASSERT_EQ(got, rewritten(spec, i)) << "page " << i;
  }
  uint64_t faulted = 0;
  for (uint64_t i = 0; i < spec.reg_pages; i += 7) {
    f.reclaim_if_low();
    kernel::CpuHold cpu;
    uint64_t v = 0;
    ASSERT_EQ(kernel::user_load(spec.base + (1 + i) * kPage, &v, sizeof(v)),
              kernel::FaultResult::kHandled);
    EXPECT_EQ(v, ~uint64_t(0)) << "outside the enclave, EPC reads as the abort page";
    ++faulted;
  }
  EXPECT_GT(faulted, 500u);

  // Reach: every page went out and came back at least once per pass, the SECS too.
  const hw::Counters c = hw::Inspector(f.machine()).counters();
  EXPECT_GE(c.evictions, 3 * (spec.reg_pages - o.epc_pages));
  EXPECT_GE(c.reloads, 2 * (spec.reg_pages - o.epc_pages));
  EXPECT_EQ(c.mac_failures, 0u);

  EXPECT_EQ(f.sgx().warnings(), 0u);
  const EpcmCount live = count_epcm(f.machine());
  EXPECT_EQ(live.valid + f.sgx().nr_free_pages(), f.sgx().total_pages());
  EXPECT_TRUE(live.children_have_their_secs);

  ASSERT_EQ(f.process().munmap(spec.base, f.secs_for(spec).size), 0);
  ASSERT_EQ(f.process().close(fd), 0);
  EXPECT_EQ(f.sgx().nr_free_pages(), f.sgx().total_pages());
  EXPECT_EQ(count_epcm(f.machine()).valid, 0u);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

}  // namespace
}  // namespace sgxref::testlib
