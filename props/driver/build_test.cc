// The build ioctls end to end: CREATE, ADD_PAGES, INIT and mmap as a loader makes them,
// then the enclave's memory read back through the debugger's path.
#include <gtest/gtest.h>

#include <vector>

#include "driver_fixture.h"

namespace sgxref::testlib {
namespace {

TEST(DriverBuild, AnEnclaveBuiltThroughTheIoctlsInitializesAndReadsBackThroughEdbgrd) {
  DriverFixture f;
  EnclaveSpec spec;
  spec.reg_pages = 4;
  f.build_enclave(spec);
  for (uint64_t i = 0; i < spec.reg_pages; ++i) {
    std::vector<uint8_t> got(hw::kPageSize);
    ASSERT_EQ(f.peek(spec.base + (1 + i) * hw::kPageSize, got.data(), int(got.size())),
              int(got.size()));
    EXPECT_EQ(got, DriverFixture::page_bytes(spec, i)) << "page " << i;
  }
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

}  // namespace
}  // namespace sgxref::testlib
