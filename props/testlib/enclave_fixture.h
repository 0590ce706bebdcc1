// File: a gtest fixture for tests that run code in an enclave: a small machine, one
// process page table that every CPU walks, and an initialized TestEnclave (see
// test_enclave.h) in it, plus readers for the TCS and SSA bytes the enclave leaves
// write. Header-only: it uses the committed signing key, which only test binaries find.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "hw/page_table.h"
#include "hw/ssa_gpr.h"
#include "testlib/test_enclave.h"
#include "testlib/test_signing_key.h"
#include "uapi/tcs.h"

namespace sgxref::testlib {

class EnclaveFixture : public ::testing::Test {
 protected:
  static constexpr hw::LAddr kAep = 0x7000'0000'1000;       // the vDSO's ERESUME
  static constexpr hw::LAddr kCallSite = 0x7000'0000'0ff0;  // RIP at ENCLU[EENTER]
  static constexpr hw::LAddr kUser = 0x1000'0000;           // a user data page
  static constexpr uint64_t kOutsideRsp = 0x7fff'0000'8000;
  static constexpr uint64_t kOutsideRbp = 0x7fff'0000'9000;

  static hw::Config config() {
    hw::Config c;
    c.epc_pages = 32;
    c.ram_pages = 256;
    return c;
  }

  void SetUp() override { build(TestEnclaveOptions{}); }

  // A fresh machine and page table holding an enclave built with `o`, every CPU walking
  // that page table and holding outside_regs(). Tests that need other options call it
  // again under ASSERT_NO_FATAL_FAILURE.
  void build(const TestEnclaveOptions& o) {
    other_.reset();
    enclave_.reset();
    pt_ = std::make_unique<hw::PageTable>();
    m_ = std::make_unique<hw::Machine>(config());
    enclave_ = std::make_unique<TestEnclave>(*m_, *pt_, test_signing_key(), o);
    ASSERT_EQ(enclave_->build(), hw::Result::ok());
    user_ = enclave_->map_user_page(kUser);
    for (uint32_t i = 0; i < m_->cpu_count(); ++i) {
      ASSERT_TRUE(m_->cpu(i).set_page_table(pt_.get()));
      ASSERT_EQ(m_->cpu(i).set_regs(outside_regs()), hw::Result::ok());
    }
  }

  // What the user side holds when it calls ENCLU.
  static hw::Registers outside_regs() {
    hw::Registers r;
    r.rip = kCallSite;
    r.rsp = kOutsideRsp;
    r.rbp = kOutsideRbp;
    r.fs_base = 0x7f00'0000'0000;
    r.gs_base = 0x7f00'0000'2000;
    return r;
  }

  hw::LAddr la(uint64_t offset) const { return enclave_->la(offset); }
  uint32_t slot(uint64_t offset) const { return enclave_->slot(offset); }
  hw::Cpu& cpu(uint32_t i = 0) { return m_->cpu(i); }

  hw::Result eenter(uint32_t c = 0, uint64_t tcs = TestEnclave::kTcs1) {
    return m_->cpu(c).eenter(la(tcs), kAep);
  }
  hw::Result eresume(uint32_t c = 0, uint64_t tcs = TestEnclave::kTcs1) {
    return m_->cpu(c).eresume(la(tcs), kAep);
  }

  uapi::Tcs tcs(uint64_t offset = TestEnclave::kTcs1) const {
    uapi::Tcs t;
    std::memcpy(&t, hw::Inspector(*m_).page(slot(offset)), sizeof t);
    return t;
  }
  // GPRSGX and EXINFO of the SSA frame at `frame_offset` (one-page frames).
  hw::GprSgx gpr(uint64_t frame_offset) const {
    hw::GprSgx g;
    std::memcpy(&g, hw::Inspector(*m_).page(slot(frame_offset)) + hw::kPageSize - sizeof g,
                sizeof g);
    return g;
  }
  hw::ExInfo exinfo(uint64_t frame_offset) const {
    hw::ExInfo x;
    std::memcpy(
        &x,
        hw::Inspector(*m_).page(slot(frame_offset)) + hw::kPageSize - sizeof(hw::GprSgx) - sizeof x,
        sizeof x);
    return x;
  }

  uint64_t load64(uint32_t c, hw::LAddr a, hw::Result* r = nullptr) {
    uint64_t v = 0;
    const hw::Result res = m_->cpu(c).load(a, &v, 8);
    if (r != nullptr) *r = res;
    return v;
  }
  hw::Result store64(uint32_t c, hw::LAddr a, uint64_t v) { return m_->cpu(c).store(a, &v, 8); }

  // A second initialized enclave on the same machine (SECS in slot 16, base 2 GiB) in a
  // page table of its own, for tests about what another enclave does or owns.
  void build_other_enclave() {
    other_pt_ = std::make_unique<hw::PageTable>();
    TestEnclaveOptions o;
    o.secs_slot = 16;
    o.base = 0x8000'0000;
    other_ = std::make_unique<TestEnclave>(*m_, *other_pt_, test_signing_key(), o);
    ASSERT_EQ(other_->build(), hw::Result::ok());
  }
  TestEnclave& other() { return *other_; }
  hw::PageTable& other_pt() { return *other_pt_; }

  hw::Machine& m() { return *m_; }
  hw::PageTable& pt() { return *pt_; }
  TestEnclave& enclave() { return *enclave_; }

  std::unique_ptr<hw::Machine> m_;
  std::unique_ptr<hw::PageTable> pt_;
  std::unique_ptr<TestEnclave> enclave_;
  std::unique_ptr<hw::PageTable> other_pt_;
  std::unique_ptr<TestEnclave> other_;
  hw::PAddr user_ = 0;  // the RAM frame behind kUser
};

}  // namespace sgxref::testlib
