// File: the kernel selftests' FIXTURE(enclave) on a ScenarioMachine: setup_test_encl
// (the test enclave, user/test_encl.h, with a heap after it, loaded through the loader
// and mapped), ENCL_CALL through the vDSO's entry (wrapped as the selftests' call.S
// does, or called directly), mprotect, and encl_delete followed by the checks every
// scenario ends with. Each step goes to the transcript with what it returned.
#pragma once

#include <cstdint>
#include <string>

#include "hw/address.h"
#include "scenarios/scenario_machine.h"
#include "scenarios/scenario_result.h"
#include "uapi/enclave_run.h"
#include "user/enclave_loader.h"
#include "user/test_encl_ops.h"

namespace sgxref::scenarios {

// main.c's values.
inline constexpr uint64_t kMagic = 0x1122334455667788ull;
inline constexpr uint64_t kMagic2 = 0x8877665544332211ull;
// ENCL_HEAP_SIZE_DEFAULT: one page.
inline constexpr uint64_t kDefaultHeapPages = 1;

class SelftestEnclave {
 public:
  SelftestEnclave(ScenarioMachine& sm, Recorder& rec, ScenarioResult& r);
  SelftestEnclave(const SelftestEnclave&) = delete;
  SelftestEnclave& operator=(const SelftestEnclave&) = delete;

  // setup_test_encl(heap): loads the image with `heap_pages` unmeasured REG RW pages
  // after it, sets run.tcs to TCS#1 and expects the load to succeed.
  bool setup(uint64_t heap_pages);

  hw::LAddr base() const { return e_.base; }
  uapi::EnclaveRun& run() { return run_; }
  hw::Counters counters() const { return sm_.counters(); }

  // ENCL_CALL(op, &run, clobbered): EENTER through run.tcs with `op` in user memory.
  // Unclobbered goes through the selftests' wrapper (call.S's sgx_enter_enclave), which
  // keeps the caller's callee-saved registers; clobbered calls the vDSO directly.
  template <typename Op>
  EnclaveCall call(const std::string& step, const Op& op, bool clobbered) {
    return enter(step, &op, sizeof op, uapi::enclu::kEenter, clobbered);
  }
  // vdso_sgx_enter_enclave(op, 0, 0, ERESUME, 0, 0, &run), the operation left as it was.
  EnclaveCall resume(const std::string& step);

  // mprotect(addr, len, prot), recorded.
  long mprotect(hw::LAddr addr, uint64_t len, uint64_t prot);

  // encl_delete, then what closing must leave: every EPC page free, no EPCM entry
  // valid, no driver WARN.
  void teardown();

 private:
  EnclaveCall enter(const std::string& step, const void* op, uint64_t len, uint32_t leaf,
                     bool clobbered);
  int enter_raw(uint32_t leaf, bool clobbered, bool& callee_saved_kept);

  ScenarioMachine& sm_;
  Recorder& rec_;
  ScenarioResult& r_;
  user::LoadedEnclave e_;
  hw::LAddr op_ = 0;  // a page of the process holding the current operation
  uapi::EnclaveRun run_{};
};

}  // namespace sgxref::scenarios
