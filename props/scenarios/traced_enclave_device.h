// File: /dev/sgx_enclave seen through a tracer. It takes the driver's place under that
// name and forwards every file operation to it unchanged, writing each one with its
// arguments and return to a log, as strace does for a selftest on Linux. The loader
// (user/enclave_loader.h) makes its system calls inside one function; this is how a
// scenario shows them without changing the loader or the driver.
#pragma once

#include <functional>
#include <string>

#include "kernel/file.h"
#include "kernel/kernel.h"

namespace sgxref::scenarios {

class TracedEnclaveDevice : public kernel::FileOps {
 public:
  using Log = std::function<void(const std::string&)>;

  // Replaces `k`'s "sgx_enclave" (which must be registered) by itself.
  TracedEnclaveDevice(kernel::Kernel& k, Log log);
  // Puts the driver's operations back under the name.
  ~TracedEnclaveDevice() override;
  TracedEnclaveDevice(const TracedEnclaveDevice&) = delete;
  TracedEnclaveDevice& operator=(const TracedEnclaveDevice&) = delete;

  int open(kernel::File& f) override;
  long ioctl(kernel::File& f, unsigned int cmd, hw::LAddr arg) override;
  int mmap(kernel::File& f, kernel::Vma& vma) override;
  long get_unmapped_area(kernel::File& f, hw::LAddr addr, uint64_t len, uint64_t pgoff,
                         uint64_t flags) override;
  void release(kernel::File& f) override;

 private:
  kernel::Kernel& k_;
  kernel::FileOps& driver_;
  Log log_;
};

}  // namespace sgxref::scenarios
