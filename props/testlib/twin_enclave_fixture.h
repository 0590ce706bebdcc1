// File: a gtest fixture for tests about a page of another enclave at the very same
// linear address: Sgx2Fixture's initialized TestEnclave, and its twin, a second
// TestEnclave of the same layout and the same ELRANGE (SECS in EPC slot kTwinSecs) in a
// page table of its own, which CPU kTwinCpu walks. Each twin page is valid, REG or TCS
// like its counterpart, with the same rights and ENCLAVEADDRESS: pointing the first
// enclave's PTE at it fails the EPCM's ENCLAVESECS check and no other.
// Header-only, like EnclaveFixture. Its tests must not call build() again: the twin
// lives on the machine SetUp made.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "hw/cpu.h"
#include "hw/machine.h"
#include "hw/page_table.h"
#include "testlib/sgx2_fixture.h"
#include "testlib/test_enclave.h"
#include "testlib/test_signing_key.h"

namespace sgxref::testlib {

class TwinEnclaveFixture : public Sgx2Fixture {
 protected:
  // Past the first enclave's ELRANGE slots (1..16 would hold its pages up to 0xF000,
  // 9..11 its kAug pages), so the two never share an EPC slot.
  static constexpr uint32_t kTwinSecs = 17;
  // The CPU that builds the twin and runs it; the first enclave's tests use CPU 0 and
  // issue kernel leaves on kKernel.
  static constexpr uint32_t kTwinCpu = 1;

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Sgx2Fixture::SetUp());
    twin_pt_ = std::make_unique<hw::PageTable>();
    TestEnclaveOptions o;
    o.secs_slot = kTwinSecs;
    o.base = enclave().base();
    o.cpu = kTwinCpu;
    twin_ = std::make_unique<TestEnclave>(m(), *twin_pt_, test_signing_key(), o);
    ASSERT_EQ(twin_->build(), hw::Result::ok());
    ASSERT_TRUE(cpu(kTwinCpu).set_page_table(twin_pt_.get()));
  }

  TestEnclave& twin() { return *twin_; }
  hw::PageTable& twin_pt() { return *twin_pt_; }
  uint32_t twin_slot(uint64_t offset) const { return twin_->slot(offset); }

  // EENTER of the twin through its TCS #1 on kTwinCpu.
  hw::Result enter_twin() { return cpu(kTwinCpu).eenter(twin_->la(TestEnclave::kTcs1), kAep); }

  // What a buggy or hostile OS does: the first enclave's PTE for `offset` points at the
  // twin's page there, RW and not executable.
  void map_twin_page(uint64_t offset) {
    pt().set(la(offset), hw::Pte{.present = true,
                                 .writable = true,
                                 .nx = true,
                                 .pa = m().epc_addr(twin_slot(offset))});
  }

  std::unique_ptr<hw::PageTable> twin_pt_;
  std::unique_ptr<TestEnclave> twin_;
};

}  // namespace sgxref::testlib
