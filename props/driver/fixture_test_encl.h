// File: the kernel selftests' test enclave (user/test_encl.h) in a DriverFixture's
// process, for the SGX2 tests: loaded through the loader with `heap_pages` REG RW pages
// after the image (unmeasured, as encl_load's heap), the rest of ELRANGE mapped RWX from
// the enclave's descriptor so a fault there reaches the driver (EAUG), and ENCL_CALL
// through the vDSO entry from the fixture's task (or any task of the process).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

#include "driver/driver_fixture.h"
#include "driver/encl.h"
#include "hw/inspect.h"
#include "kernel/run_queue.h"
#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "testlib/test_signing_key.h"
#include "uapi/enclave_run.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "user/enclave_loader.h"
#include "user/test_encl.h"
#include "user/test_encl_ops.h"
#include "user/vsgx.h"

namespace sgxref::testlib {

class FixtureTestEncl {
 public:
  static constexpr uint64_t kHeap = user::test_encl::kImageEnd;

  FixtureTestEncl(DriverFixture& f, uint64_t heap_pages) : f_(f) {
    namespace sf = uapi::secinfo_flag;
    user::EnclaveImage image = user::test_encl::image();
    if (heap_pages > 0) {
      image.segments.push_back(user::Segment{kHeap, std::vector<uint8_t>(heap_pages * hw::kPageSize),
                                             sf::type(uapi::PageType::kReg) | sf::kR | sf::kW,
                                             kernel::PROT_READ | kernel::PROT_WRITE, false});
    }
    EXPECT_EQ(user::load_enclave(f.process(), image, test_signing_key(), e_), 0);
    holes_ = kHeap + heap_pages * hw::kPageSize;
    if (holes_ < e_.size) {
      const long at = f.process().mmap(
          e_.base + holes_, e_.size - holes_,
          kernel::PROT_READ | kernel::PROT_WRITE | kernel::PROT_EXEC,
          kernel::MAP_SHARED | kernel::MAP_FIXED, e_.fd, 0);
      EXPECT_EQ(at, long(e_.base + holes_));
    }
    op_ = f.user_alloc(hw::kPageSize);
  }

  int fd() const { return e_.fd; }
  hw::LAddr base() const { return e_.base; }
  uint64_t size() const { return e_.size; }
  // The first offset of ELRANGE that has no page (up to size()).
  uint64_t holes() const { return holes_; }
  kernel::Process& process() { return f_.process(); }

  // ENCL_CALL(op) through TCS `tcs` (an offset) with the op in `op_at` (defaults to this
  // helper's page); the op is copied back. Returns the run struct the vDSO filled.
  template <typename Op>
  uapi::EnclaveRun call(Op& op, uint64_t tcs = user::test_encl::kTcs1,
                        std::optional<hw::LAddr> op_at = std::nullopt) {
    const hw::LAddr at = op_at ? *op_at : op_;
    kernel::CpuHold cpu;
    EXPECT_EQ(kernel::copy_to_user(at, &op, sizeof(op)), 0u);
    uapi::EnclaveRun run{};
    run.tcs = e_.base + tcs;
    EXPECT_EQ(user::vdso_sgx_enter_enclave(at, 0, 0, uapi::enclu::kEenter, 0, 0, &run), 0);
    EXPECT_EQ(kernel::copy_from_user(&op, at, sizeof(op)), 0u);
    return run;
  }

  // vdso_sgx_enter_enclave(ERESUME) of the thread of TCS `tcs`, left by an exception
  // with its op at `op_at`: the interrupted instruction runs again.
  uapi::EnclaveRun resume(uint64_t tcs, hw::LAddr op_at) {
    kernel::CpuHold cpu;
    uapi::EnclaveRun run{};
    run.tcs = e_.base + tcs;
    EXPECT_EQ(user::vdso_sgx_enter_enclave(op_at, 0, 0, uapi::enclu::kEresume, 0, 0, &run), 0);
    return run;
  }

  // EACCEPT from inside of the page at `offset` with SECINFO.FLAGS `flags`: its code.
  uint64_t eaccept(uint64_t offset, uint64_t flags) {
    user::EnclOpEaccept op{{user::kEnclOpEaccept}, e_.base + offset, flags, ~0ull};
    const uapi::EnclaveRun run = call(op);
    EXPECT_EQ(run.function, uapi::enclu::kEexit) << "EACCEPT faulted: vector "
                                                 << run.exception_vector << " code 0x" << std::hex
                                                 << run.exception_error_code;
    return op.ret;
  }

  // A store of `value` at `offset` from inside: the run (EEXIT, or the exception).
  uapi::EnclaveRun put(uint64_t offset, uint64_t value) {
    user::EnclOpPutToAddr op{{user::kEnclOpPutToAddress}, value, e_.base + offset};
    return call(op);
  }
  // A load at `offset` from inside; the value read in `value`.
  uapi::EnclaveRun get(uint64_t offset, uint64_t& value) {
    user::EnclOpGetFromAddr op{{user::kEnclOpGetFromAddress}, 0, e_.base + offset};
    const uapi::EnclaveRun run = call(op);
    value = op.value;
    return run;
  }

  // The driver's record of the page at `offset`, under the enclave lock: whether there
  // is one and, if so, a copy.
  std::optional<driver::EnclPage> record(uint64_t offset) {
    driver::Encl& encl = f_.encl_of(e_.fd);
    sched::MutexLock l(encl.lock);
    const auto it = encl.page_array.find((e_.base + offset) >> hw::kPageShift);
    if (it == encl.page_array.end()) return std::nullopt;
    return *it->second;
  }

  // Takes every resident page but the one at `offset` off the LRU, so the reclaimer's
  // next batch meets that page alone and the enclave's own pages stay under its threads.
  void leave_alone_on_lru(uint64_t offset) {
    driver::Encl& encl = f_.encl_of(e_.fd);
    sched::MutexLock l(encl.lock);
    for (const auto& [pfn, page] : encl.page_array) {
      if (page->desc != e_.base + offset && page->epc_page != nullptr) {
        EXPECT_EQ(f_.sgx().unmark_page_reclaimable(page->epc_page), 0);
      }
    }
  }

  // The EPCM entry of the page at `offset`, which must be resident.
  hw::EpcmEntry epcm(uint64_t offset) {
    const std::optional<driver::EnclPage> p = record(offset);
    if (!p || p->epc_page == nullptr) {
      ADD_FAILURE() << "no resident page at offset 0x" << std::hex << offset;
      return {};
    }
    return hw::Inspector(f_.machine()).epcm(*f_.machine().epc_slot(p->epc_page->addr));
  }

 private:
  DriverFixture& f_;
  user::LoadedEnclave e_;
  uint64_t holes_ = 0;
  hw::LAddr op_ = 0;
};

}  // namespace sgxref::testlib
