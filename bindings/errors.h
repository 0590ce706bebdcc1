// File: the errors the bindings raise, as C++ exceptions that may be thrown while the
// GIL is released (inside Machine::run) and become Python exceptions once pybind11
// holds it again: a driver's -errno becomes OSError with that errno (and the uapi's out
// fields, `count` and `result`, as attributes), an enclave's exception becomes
// sgxref.EnclaveFault with its address, error code and vector.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace sgxref::bindings {

// A system call's -errno, with the out fields user space reads after it.
class DriverError : public std::runtime_error {
 public:
  DriverError(long neg_errno, const std::string& call, std::map<std::string, uint64_t> fields = {});
  int err() const { return err_; }
  const std::map<std::string, uint64_t>& fields() const { return fields_; }

 private:
  int err_;
  std::map<std::string, uint64_t> fields_;
};

// What the vDSO reported for an enclave call that ended in an exception (run.function
// is the leaf it was executing, not EEXIT).
struct FaultInfo {
  uint64_t address = 0;
  uint16_t error_code = 0;
  uint16_t vector = 0;
  uint32_t function = 0;  // EENTER (2) or ERESUME (3)
};

class EnclaveFaultError : public std::runtime_error {
 public:
  EnclaveFaultError(const FaultInfo& f, const std::string& op);
  const FaultInfo& info() const { return info_; }

 private:
  FaultInfo info_;
};

// Throws DriverError when `ret` is negative; returns it otherwise.
long check(long ret, const std::string& call, std::map<std::string, uint64_t> fields = {});

// sgxref.EnclaveFault, and the translators of both errors.
void bind_errors(pybind11::module_& m);

}  // namespace sgxref::bindings
