// File: a gtest fixture for the ENCLS leaves that take one EPC page of any kind (EBLOCK,
// EREMOVE): a small machine holding, built on CPU 0, an enclave with its SECS in slot
// kSecs, a REG RW page at kBase + 0x1000 in slot kReg and a TCS at kBase in slot kTcs
// (one SSA frame at 0x2000, entry at 0x1000), and a VA page in slot kVa. Slots from
// kFree on are free. Header-only, like EnclaveFixture.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "hw/cpu.h"
#include "hw/internals.h"
#include "hw/machine.h"
#include "testlib/enclave_builder.h"
#include "testlib/small_config.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/tcs.h"

namespace sgxref::testlib {

class PageKindsFixture : public ::testing::Test {
 protected:
  static constexpr uint64_t kBase = 0x4000'0000;
  static constexpr uint64_t kSize = 0x10000;
  static constexpr uint32_t kSecs = 0;
  static constexpr uint32_t kReg = 1;
  static constexpr uint32_t kTcs = 2;
  static constexpr uint32_t kVa = 3;
  static constexpr uint32_t kFree = 4;

  PageKindsFixture() : m(small_config()), builder(m, kSecs) {}

  void SetUp() override {
    namespace sf = uapi::secinfo_flag;
    using uapi::PageType;
    ASSERT_EQ(builder.create(make_secs(kBase, kSize)), hw::Result::ok());
    ASSERT_EQ(builder.add(kReg, kBase + 0x1000, page.data(),
                          sf::type(PageType::kReg) | sf::kR | sf::kW),
              hw::Result::ok());
    const uapi::Tcs tcs = make_tcs(0x2000, 0x1000);
    ASSERT_EQ(builder.add(kTcs, kBase, &tcs, sf::type(PageType::kTcs)), hw::Result::ok());
    ASSERT_EQ(m.cpu(0).epa(uint64_t(PageType::kVa), m.epc_addr(kVa)), hw::Result::ok());
  }

  // Turns the REG page into a TRIM page as EMODT (and, if `accepted`, EACCEPT) leave
  // it; those leaves have their own tests.
  void trim(bool accepted) {
    hw::MachineState& s = hw::Internals::of(m);
    sched::MutexLock l(s.mu());
    hw::EpcmEntry& e = s.epcm_entry(kReg);
    e.type = uapi::PageType::kTrim;
    e.r = e.w = e.x = false;
    e.modified = !accepted;
  }

  hw::Machine m;
  EnclaveBuilder builder;
  std::array<uint8_t, hw::kPageSize> page{};
};

}  // namespace sgxref::testlib
