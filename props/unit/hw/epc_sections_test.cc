// CPUID(12h, 2+): the EPC is enumerated as Config::epc_sections contiguous sections
// that together cover every EPC page once, in address order.
#include <gtest/gtest.h>

#include "hw/config.h"
#include "hw/machine.h"

namespace sgxref::hw {
namespace {

TEST(EpcSections, OneSectionByDefaultCoversTheWholeEpc) {
  Config cfg;
  cfg.epc_pages = 64;
  Machine m(cfg);
  const auto s = m.epc_sections();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].base, m.epc_addr(0));
  EXPECT_EQ(s[0].pages, 64u);
}

TEST(EpcSections, UnevenSplitIsContiguousAndCoversEveryPageOnce) {
  Config cfg;
  cfg.epc_pages = 67;
  cfg.epc_sections = 4;
  Machine m(cfg);
  const auto s = m.epc_sections();
  ASSERT_EQ(s.size(), 4u);
  uint32_t next = 0;
  for (const Machine::EpcSection& sec : s) {
    EXPECT_EQ(sec.base, m.epc_addr(next));
    EXPECT_GE(sec.pages, 16u);
    EXPECT_LE(sec.pages, 17u);
    next += sec.pages;
  }
  EXPECT_EQ(next, 67u);
}

TEST(EpcSections, NoSectionIsEmptyWhenThereAreMoreSectionsThanPages) {
  Config cfg;
  cfg.epc_pages = 3;
  cfg.epc_sections = 8;
  Machine m(cfg);
  const auto s = m.epc_sections();
  ASSERT_EQ(s.size(), 3u);
  for (const Machine::EpcSection& sec : s) EXPECT_EQ(sec.pages, 1u);
}

}  // namespace
}  // namespace sgxref::hw
