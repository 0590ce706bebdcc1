// File: an initialized enclave shaped like the kernel selftests' test enclave, built,
// signed, EINIT-ed and mapped into a process page table, for tests that run code in an
// enclave. Layout (offsets from the base), each page in EPC slot secs_slot + 1 + offset
// / 4 KiB:
//   0x0000 TCS #1: two SSA frames at 0x2000, entry at kCode
//   0x1000 TCS #2: one SSA frame at 0x4000, entry at kCode
//   0x2000 SSA frames of TCS #1 (REG RW), 0x4000 SSA frame of TCS #2 (REG RW)
//   0x5000 code (REG RX)
//   0x6000 data, two pages (REG RW): the selftests' encl_buffer; 0x7000 is "page 2"
// The page table maps TCS and SSA pages RW, code R-X and data RW-NX, and the user pages
// the test asks for RW-NX in RAM.
#pragma once

#include <cstdint>
#include <functional>

#include "hw/machine.h"
#include "hw/page_table.h"
#include "sign/signing_key.h"
#include "testlib/kernel_memory.h"
#include "uapi/tcs.h"

namespace sgxref::testlib {

struct TestEnclaveOptions {
  uint32_t secs_slot = 0;
  uint64_t base = 0x4000'0000;
  uint32_t miscselect = 0;
  uint64_t extra_attributes = 0;
  uint64_t cleared_attributes = 0;            // e.g. MODE64BIT, for a 32-bit enclave
  uint32_t ssa_frame_size = 1;                // in pages
  std::function<void(uapi::Tcs&)> edit_tcs2;  // changes TCS #2 before it is added
  bool init = true;                           // EINIT it
  uint32_t cpu = 0;                           // the CPU that builds and initializes it
};

class TestEnclave {
 public:
  static constexpr uint64_t kSize = 0x10000;
  static constexpr uint64_t kTcs1 = 0x0000;
  static constexpr uint64_t kTcs2 = 0x1000;
  static constexpr uint64_t kSsa1 = 0x2000;
  static constexpr uint64_t kSsa2 = 0x4000;
  static constexpr uint64_t kCode = 0x5000;
  static constexpr uint64_t kData = 0x6000;
  static constexpr uint64_t kData2 = 0x7000;
  static constexpr uint64_t kPages = 8;

  TestEnclave(hw::Machine& m, hw::PageTable& pt, const sign::SigningKey& key,
              const TestEnclaveOptions& o = {});

  // Builds, signs, initializes and maps the enclave: the first leaf result that is not
  // success, or success.
  hw::Result build();

  uint64_t base() const { return o_.base; }
  hw::LAddr la(uint64_t offset) const { return o_.base + offset; }
  uint32_t secs_slot() const { return o_.secs_slot; }
  hw::PAddr secs_addr() const { return m_.epc_addr(o_.secs_slot); }
  uint32_t slot(uint64_t offset) const { return o_.secs_slot + 1 + uint32_t(offset >> 12); }

  // A fresh zeroed RAM frame mapped RW at user linear address `la`; returns the frame.
  hw::PAddr map_user_page(hw::LAddr la);
  KernelMemory& memory() { return mem_; }

 private:
  hw::Machine& m_;
  hw::PageTable& pt_;
  const sign::SigningKey& key_;
  TestEnclaveOptions o_;
  KernelMemory mem_;
};

}  // namespace sgxref::testlib
