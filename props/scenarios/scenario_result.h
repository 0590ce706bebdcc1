// File: what a scenario saw: every enclave call with the sgx_enclave_run fields it
// left, every system call with its return, the EPC's paging counts, the driver's WARNs
// and the EPC after teardown, plus the scenario's own assertions and a transcript a
// person can read. Plain data, so the CLI can print it and a gtest can assert on it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sgxref::scenarios {

// One call of the vDSO's enclave entry and what it reported.
struct EnclaveCall {
  std::string step;            // what the selftest does here, in words
  uint32_t leaf = 0;           // EENTER or ERESUME, as passed to the vDSO
  uint64_t tcs = 0;            // run.tcs
  int ret = 0;                 // the vDSO's return value
  uint32_t function = 0;       // run.function after the call
  uint16_t exception_vector = 0;
  uint16_t exception_error_code = 0;
  uint64_t exception_addr = 0;
  uint64_t user_data = 0;
  uint64_t value = 0;          // the operation's `value` field after the call
  uint64_t eaccept_ret = 0;    // an EACCEPT operation's `ret` after the call (RAX)
  bool callee_saved_kept = false;  // RBX, RBP, R12-R15 as the caller had them
  uint64_t evictions = 0;      // EWBs during the call and the ksgxd step before it
  uint64_t reloads = 0;        // ELDUs likewise
};

// A system call the scenario made itself (the loader's are in the transcript).
struct SysCall {
  std::string what;
  long ret = 0;
};

// An SGX2 ioctl the scenario made, as user space sees it: ioctl()'s return (0 or -1),
// errno, and the argument's out fields afterwards.
struct IoctlCall {
  std::string step;      // what the selftest does here, in words
  std::string what;      // the ioctl and its in fields
  long ret = 0;          // 0, or -1 with errno set
  int err = 0;           // errno when ret is -1, else 0
  uint64_t result = 0;   // RESTRICT_PERMISSIONS and MODIFY_TYPES: the leaf's SGX code
  uint64_t count = 0;    // bytes done
};

struct ScenarioResult {
  std::string name;
  uint32_t epc_pages = 0;      // the machine's EPC
  uint64_t seed = 0;
  long load_ret = 0;           // load_enclave's return
  uint64_t base = 0;           // ELRANGE
  uint64_t size = 0;
  uint64_t heap_pages = 0;
  // What the scenario scaled down from the selftest's sizes so that it runs in seconds
  // (the selftest's size and ours), or empty.
  std::string scaled;
  std::vector<EnclaveCall> calls;
  std::vector<SysCall> syscalls;
  std::vector<IoctlCall> ioctls;
  uint64_t evictions = 0;      // over the whole run (hw::Inspector counters)
  uint64_t reloads = 0;
  uint64_t mac_failures = 0;
  uint64_t ksgxd_batches = 0;  // batches ksgxd ran when the scenario stepped it
  uint64_t warnings = 0;       // Sgx::warnings() at the end
  std::map<std::string, uint64_t> warning_counts;
  uint64_t free_pages_after_close = 0;  // Sgx::nr_free_pages() once everything closed
  uint64_t total_pages = 0;
  uint64_t epcm_valid_after_close = 0;  // EPCM entries still valid then
  std::vector<std::string> failures;    // the scenario's assertions that did not hold
  std::vector<std::string> transcript;

  bool passed() const { return failures.empty(); }
};

// "0x1f" for 31.
std::string hex(uint64_t v);

// Writes the transcript and checks the scenario's assertions, the way the selftests'
// EXPECT_EQ does: a failed one is recorded and the scenario goes on.
class Recorder {
 public:
  explicit Recorder(ScenarioResult& r) : r_(r) {}

  void line(const std::string& text) { r_.transcript.push_back(text); }
  // `what` == `want`; the line says which, in hex when `in_hex`.
  bool expect_eq(const std::string& what, uint64_t got, uint64_t want, bool in_hex = false);
  // The same for a signed value, such as a system call's -1.
  bool expect_eq_signed(const std::string& what, int64_t got, int64_t want);
  bool expect_true(const std::string& what, bool ok);

 private:
  ScenarioResult& r_;
};

}  // namespace sgxref::scenarios
