// File: a gtest fixture for the SGX2 leaves: EnclaveFixture's initialized TestEnclave,
// the kernel side (EAUG, EMODPR, EMODT, ETRACK on CPU kKernel, mapping pages as the
// driver does), and the enclave side (a SECINFO written by enclave code into its data
// page, then EACCEPT, EACCEPTCOPY or EMODPE naming it). Header-only, like
// EnclaveFixture.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "hw/page_table.h"
#include "testlib/enclave_builder.h"
#include "testlib/enclave_fixture.h"
#include "testlib/kernel_memory.h"
#include "testlib/sgx2_ops.h"
#include "testlib/test_enclave.h"
#include "uapi/secinfo.h"

namespace sgxref::testlib {

class Sgx2Fixture : public EnclaveFixture {
 protected:
  static constexpr uint32_t kKernel = 3;  // the CPU the kernel side issues ENCLS on
  // ELRANGE past the image: pages EAUG may add, each with its own free EPC slot
  // (slot(offset) holds for them too).
  static constexpr uint64_t kAug = 0x8000;
  static constexpr uint64_t kAug2 = 0x9000;
  static constexpr uint64_t kAug3 = 0xA000;
  // Where enclave code keeps the SECINFO it passes: the start of its data page.
  static constexpr uint64_t kSecinfo = TestEnclave::kData;

  static constexpr uint64_t kReg = uapi::secinfo_flag::type(uapi::PageType::kReg);
  static constexpr uint64_t kTcsType = uapi::secinfo_flag::type(uapi::PageType::kTcs);
  static constexpr uint64_t kTrim = uapi::secinfo_flag::type(uapi::PageType::kTrim);
  static constexpr uint64_t kR = uapi::secinfo_flag::kR;
  static constexpr uint64_t kW = uapi::secinfo_flag::kW;
  static constexpr uint64_t kX = uapi::secinfo_flag::kX;
  static constexpr uint64_t kPending = uapi::secinfo_flag::kPending;
  static constexpr uint64_t kModified = uapi::secinfo_flag::kModified;
  static constexpr uint64_t kPr = uapi::secinfo_flag::kPr;

  // Page-fault error codes of docs/hw.md "Enclave access and the TLB".
  static constexpr uint32_t kNotPresentRead = 0x4;  // U
  static constexpr uint32_t kEpcmRead = 0x8005;     // P|U|SGX
  static constexpr uint32_t kEpcmWrite = 0x8007;    // P|W|U|SGX

  Sgx2Ops ops() { return Sgx2Ops(m(), kKernel); }

  // Kernel memory for operands a test lays out itself, and a SECINFO with `flags` placed
  // there (the rest zero), for EMODPR and EMODT issued directly.
  KernelMemory& mem() { return enclave().memory(); }
  hw::PAddr kernel_secinfo(uint64_t flags) {
    uapi::SecInfo si{};
    si.flags = flags;
    return mem().put(si);
  }

  // The driver's EAUG of the page at `offset`, which it then maps RW, not executable.
  hw::Result eaug(uint64_t offset) {
    const hw::Result r = ops().eaug(enclave().secs_slot(), slot(offset), la(offset));
    if (r.succeeded()) map(offset, true, false);
    return r;
  }
  void map(uint64_t offset, bool writable, bool executable) {
    pt().set(la(offset), hw::Pte{.present = true,
                                 .writable = writable,
                                 .nx = !executable,
                                 .pa = m().epc_addr(slot(offset))});
  }
  // Builds a second enclave (SECS in slot 25, ELRANGE at 0x8000'0000, one REG RW page in
  // slot 26) and maps its page at `offset` in this enclave's ELRANGE, so an operand there
  // resolves to a page of another enclave. Call under ASSERT_NO_FATAL_FAILURE.
  void map_page_of_another_enclave(uint64_t offset) {
    constexpr uint32_t kOtherSecs = 25, kOtherPage = 26;
    constexpr uint64_t kOtherBase = 0x8000'0000;
    EnclaveBuilder other(m(), kOtherSecs, kKernel);
    ASSERT_EQ(other.create(make_secs(kOtherBase, TestEnclave::kSize)), hw::Result::ok());
    const std::array<uint8_t, hw::kPageSize> page{};
    ASSERT_EQ(other.add(kOtherPage, kOtherBase, page.data(), kReg | kR | kW), hw::Result::ok());
    pt().set(la(offset), hw::Pte{.present = true,
                                 .writable = true,
                                 .nx = true,
                                 .pa = m().epc_addr(kOtherPage)});
  }

  hw::Result emodpr(uint64_t offset, uint64_t flags) { return ops().emodpr(slot(offset), flags); }
  hw::Result emodt(uint64_t offset, uint64_t flags) { return ops().emodt(slot(offset), flags); }
  hw::Result etrack() { return cpu(kKernel).etrack(enclave().secs_addr()); }

  // Enclave code on CPU `c` writes SECINFO.FLAGS at `at` (the other 56 bytes of the data
  // page's start stay zero unless a test writes them).
  hw::Result put_secinfo(uint32_t c, uint64_t flags, uint64_t at = kSecinfo) {
    return store64(c, la(at), flags);
  }
  hw::Result eaccept(uint32_t c, uint64_t flags, uint64_t offset) {
    if (hw::Result r = put_secinfo(c, flags); !r.succeeded()) return r;
    return cpu(c).eaccept(la(kSecinfo), la(offset));
  }
  hw::Result eacceptcopy(uint32_t c, uint64_t flags, uint64_t dest, uint64_t src) {
    if (hw::Result r = put_secinfo(c, flags); !r.succeeded()) return r;
    return cpu(c).eacceptcopy(la(kSecinfo), la(dest), la(src));
  }
  hw::Result emodpe(uint32_t c, uint64_t flags, uint64_t offset) {
    if (hw::Result r = put_secinfo(c, flags); !r.succeeded()) return r;
    return cpu(c).emodpe(la(kSecinfo), la(offset));
  }

  // The machine differs from the snapshot `before` only in the EPCM entry of the page at
  // `offset`, which is `want`.
  void expect_only_epcm_changed(const hw::Snapshot& before, uint64_t offset,
                                const hw::EpcmEntry& want) {
    hw::Snapshot after = hw::Inspector(m()).snapshot();
    EXPECT_EQ(after.epcm[slot(offset)], want);
    after.epcm[slot(offset)] = before.epcm[slot(offset)];
    EXPECT_EQ(after, before) << "registers, TLBs and every other page unchanged";
  }

  // Runs `leaf` expecting a refusal: returns its result after checking that the EPC is
  // as it was (epc_state()).
  template <typename Leaf>
  hw::Result refused(const Leaf& leaf) {
    const EpcState before = epc_state();
    const hw::Result r = leaf();
    EXPECT_EQ(epc_state(), before);
    return r;
  }
  hw::Result refused_eaccept(uint32_t c, uint64_t flags, uint64_t offset) {
    EXPECT_EQ(put_secinfo(c, flags), hw::Result::ok());
    return refused([&] { return cpu(c).eaccept(la(kSecinfo), la(offset)); });
  }
  hw::Result refused_eacceptcopy(uint32_t c, uint64_t flags, uint64_t dest, uint64_t src) {
    EXPECT_EQ(put_secinfo(c, flags), hw::Result::ok());
    return refused([&] { return cpu(c).eacceptcopy(la(kSecinfo), la(dest), la(src)); });
  }
  hw::Result refused_emodpe(uint32_t c, uint64_t flags, uint64_t offset) {
    EXPECT_EQ(put_secinfo(c, flags), hw::Result::ok());
    return refused([&] { return cpu(c).emodpe(la(kSecinfo), la(offset)); });
  }

  // The EPCM and every EPC page's bytes, except the TCS and SSA pages an AEX writes:
  // what a refused ENCLU leaf must leave as it was, whether it returned a code or
  // faulted out of the enclave.
  struct EpcState {
    std::vector<hw::EpcmEntry> epcm;
    std::vector<uint64_t> page_digest;
    bool operator==(const EpcState&) const = default;
  };
  EpcState epc_state() {
    hw::Snapshot s = hw::Inspector(m()).snapshot();
    for (uint64_t offset : {TestEnclave::kTcs1, TestEnclave::kTcs2, TestEnclave::kSsa1,
                            TestEnclave::kSsa1 + 0x1000, TestEnclave::kSsa2}) {
      s.page_digest[slot(offset)] = 0;
    }
    return {s.epcm, s.page_digest};
  }
};

}  // namespace sgxref::testlib
