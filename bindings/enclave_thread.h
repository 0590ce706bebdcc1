// File: sgxref.EnclaveThread: a thread of the process entering the enclave on one TCS
// through the vDSO (user/vsgx.h) to run the selftest enclave's operations
// (user/test_encl_ops.h), each in the thread's own operation page. Faults the kernel
// resolves (ELDU, EAUG) stay invisible, as on Linux, and show in `last` as AEXs; one
// it answers with a signal ends the call with sgxref.EnclaveFault, after which
// resume() runs ERESUME on the same TCS.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "bindings/enclave.h"
#include "bindings/user_buffer.h"
#include "uapi/enclave_run.h"

namespace sgxref::bindings {

// What the last call left: the vDSO's run fields and what the machine did meanwhile.
struct CallInfo {
  uint32_t leaf = 0;  // EENTER or ERESUME, as passed to the vDSO
  uint32_t function = 0;
  uint16_t exception_vector = 0;
  uint16_t exception_error_code = 0;
  uint64_t exception_addr = 0;
  uint64_t aex = 0;        // asynchronous exits during the call (the emulator's count)
  uint64_t evictions = 0;  // EWBs during the call and ksgxd's step before it
  uint64_t reloads = 0;    // ELDUs likewise
  // Batches ksgxd ran for the call: before the entry, and for retries that spun.
  int ksgxd_batches = 0;
};

class EnclaveThread {
 public:
  // Maps the thread's operation page now, where the process has room, so that later
  // calls never take an address user space may have freed meanwhile (a munmap inside
  // ELRANGE would otherwise hand the enclave ordinary memory there).
  EnclaveThread(std::shared_ptr<Enclave> e, uint64_t tcs);
  ~EnclaveThread();
  EnclaveThread(const EnclaveThread&) = delete;
  EnclaveThread& operator=(const EnclaveThread&) = delete;

  uint64_t tcs() const { return tcs_; }
  const CallInfo& last() const { return last_; }

  // EENTER with `op` in the operation page; `op` as the enclave left it after EEXIT.
  // EnclaveFaultError if the call ended in an exception.
  template <typename Op>
  Op call(const char* what, Op op) {
    return e_->machine().run([&] {
      enter(uapi::enclu::kEenter, &op, sizeof op, what);
      op_->read(0, &op, sizeof op);
      return op;
    });
  }
  // ERESUME of the operation the last call left; what that operation returns once it
  // ends (a load's value, EACCEPT's or EACCEPTCOPY's code), or nothing.
  std::optional<uint64_t> resume();

 private:
  // Inside Machine::run.
  void enter(uint32_t leaf, const void* op, uint64_t len, const char* what);

  std::shared_ptr<Enclave> e_;
  uint64_t tcs_;
  std::unique_ptr<UserBuffer> op_;
  uapi::EnclaveRun run_{};
  CallInfo last_;
};

// The EnclaveThread class, and Enclave.thread.
void bind_enclave_thread(pybind11::module_& m, EnclaveClass& enclave);

}  // namespace sgxref::bindings
