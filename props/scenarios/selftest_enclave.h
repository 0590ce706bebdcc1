// File: the kernel selftests' FIXTURE(enclave) on a ScenarioMachine: setup_test_encl
// (the test enclave, user/test_encl.h, with a heap after it, loaded through the loader
// and mapped), ENCL_CALL through the vDSO's entry (wrapped as the selftests' call.S
// does, or called directly), mprotect, mmap and munmap of enclave ranges, the SGX2
// ioctls, and encl_delete followed by the checks every scenario ends with. Each step
// goes to the transcript with what it returned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/address.h"
#include "scenarios/scenario_machine.h"
#include "scenarios/scenario_result.h"
#include "uapi/enclave_run.h"
#include "user/enclave_image.h"
#include "user/enclave_loader.h"
#include "user/test_encl_ops.h"

namespace sgxref::scenarios {

// main.c's values.
inline constexpr uint64_t kMagic = 0x1122334455667788ull;
inline constexpr uint64_t kMagic2 = 0x8877665544332211ull;
// ENCL_HEAP_SIZE_DEFAULT: one page.
inline constexpr uint64_t kDefaultHeapPages = 1;

// The test enclave's image (user/test_encl.h) with setup_test_encl's heap: `heap_pages`
// unmeasured REG RW pages after the last segment.
user::EnclaveImage selftest_image(uint64_t heap_pages);

class SelftestEnclave {
 public:
  SelftestEnclave(ScenarioMachine& sm, Recorder& rec, ScenarioResult& r);
  SelftestEnclave(const SelftestEnclave&) = delete;
  SelftestEnclave& operator=(const SelftestEnclave&) = delete;

  // setup_test_encl(heap): loads the image with `heap_pages` unmeasured REG RW pages
  // after it, sets run.tcs to TCS#1 and expects the load to succeed.
  bool setup(uint64_t heap_pages);

  hw::LAddr base() const { return e_.base; }
  // encl.encl_size: ELRANGE's size.
  uint64_t encl_size() const { return e_.size; }
  uapi::EnclaveRun& run() { return run_; }
  hw::Counters counters() const { return sm_.counters(); }

  // The segments as load.c lists them (TCS, text, data, heap last), for the selftests'
  // walks over encl.segment_tbl.
  struct SegmentInfo {
    uint64_t offset = 0;
    uint64_t size = 0;
    uint64_t prot = 0;
  };
  const std::vector<SegmentInfo>& segments() const { return segments_; }
  // encl_get_tcs_offset: the first segment, when it is mapped RW.
  uint64_t tcs_offset() const;
  // encl_get_data_offset: the first RW segment after the TCS's.
  uint64_t data_offset() const;
  // The sum of the segments' sizes (heap included), as augment and tcs_create add it up
  // to find the first unbacked page of ELRANGE.
  uint64_t total_size() const;

  // While false, enclave calls are recorded but not written to the transcript (a
  // selftest's loop over thousands of pages; the scenario writes a summary instead).
  void set_verbose(bool v) { verbose_ = v; }

  // ENCL_CALL(op, &run, clobbered): EENTER through run.tcs with `op` in user memory.
  // Unclobbered goes through the selftests' wrapper (call.S's sgx_enter_enclave), which
  // keeps the caller's callee-saved registers; clobbered calls the vDSO directly.
  template <typename Op>
  EnclaveCall call(const std::string& step, const Op& op, bool clobbered) {
    return enter(step, &op, sizeof op, uapi::enclu::kEenter, clobbered);
  }
  // vdso_sgx_enter_enclave(op, 0, 0, ERESUME, 0, 0, &run), the operation left as it was.
  EnclaveCall resume(const std::string& step);
  // The same with `op` in user memory first, as a selftest passes the operation it
  // resumes (ERESUME restores the enclave's registers, so the enclave does not read it).
  template <typename Op>
  EnclaveCall resume(const std::string& step, const Op& op) {
    return enter(step, &op, sizeof op, uapi::enclu::kEresume, true);
  }

  // mprotect(addr, len, prot), recorded.
  long mprotect(hw::LAddr addr, uint64_t len, uint64_t prot);
  // mmap(addr, len, prot, MAP_SHARED | MAP_FIXED, encl.fd, 0), recorded: the address,
  // or -errno.
  long mmap(hw::LAddr addr, uint64_t len, uint64_t prot);
  // munmap(addr, len), recorded.
  long munmap(hw::LAddr addr, uint64_t len);

  // ioctl(encl.fd, SGX_IOC_ENCLAVE_*, &arg) with the argument in user memory, as user
  // space sees it (ret 0, or -1 and errno), with the out fields read back; recorded in
  // ScenarioResult::ioctls and the transcript. All zero is the selftests' probe.
  IoctlCall restrict_permissions(const std::string& step, uint64_t offset, uint64_t length,
                                 uint64_t permissions);
  IoctlCall modify_types(const std::string& step, uint64_t offset, uint64_t length,
                         uint64_t page_type);
  IoctlCall remove_pages(const std::string& step, uint64_t offset, uint64_t length);

  // encl_delete, then what closing must leave: every EPC page free, no EPCM entry
  // valid, no driver WARN.
  void teardown();

 private:
  EnclaveCall enter(const std::string& step, const void* op, uint64_t len, uint32_t leaf,
                     bool clobbered);
  int enter_raw(uint32_t leaf, bool clobbered, bool& callee_saved_kept);
  // The argument at arg_ := `in`, the ioctl, `out` := the argument afterwards.
  long sgx2_ioctl(uint32_t cmd, const void* in, void* out, uint64_t len);
  IoctlCall record(const std::string& step, const std::string& what, long driver_ret,
                   uint64_t result, uint64_t count, bool has_result);

  ScenarioMachine& sm_;
  Recorder& rec_;
  ScenarioResult& r_;
  user::LoadedEnclave e_;
  std::vector<SegmentInfo> segments_;
  // A page of the process: the current operation at its start, an ioctl's argument at
  // kArgOffset.
  hw::LAddr op_ = 0;
  static constexpr uint64_t kArgOffset = 0x800;
  uapi::EnclaveRun run_{};
  bool verbose_ = true;
};

}  // namespace sgxref::scenarios
