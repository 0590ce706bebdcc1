#include "bindings/user_buffer.h"

#include <cerrno>

#include "bindings/errors.h"
#include "kernel/run_queue.h"
#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"

namespace sgxref::bindings {

UserBuffer::UserBuffer(kernel::Process& p, uint64_t len)
    : p_(p), len_((len + hw::kPageSize - 1) & ~(hw::kPageSize - 1)) {
  const long at = check(p_.mmap(0, len_, kernel::PROT_READ | kernel::PROT_WRITE,
                                kernel::MAP_PRIVATE | kernel::MAP_ANONYMOUS, -1, 0),
                        "mmap of the call's arguments");
  base_ = hw::LAddr(at);
}

UserBuffer::~UserBuffer() { p_.munmap(base_, len_); }

void UserBuffer::write(uint64_t offset, const void* data, uint64_t n) {
  kernel::CpuHold cpu;
  if (kernel::copy_to_user(base_ + offset, data, n) != 0) {
    throw DriverError(-EFAULT, "writing the call's arguments");
  }
}

void UserBuffer::read(uint64_t offset, void* out, uint64_t n) const {
  kernel::CpuHold cpu;
  if (kernel::copy_from_user(out, base_ + offset, n) != 0) {
    throw DriverError(-EFAULT, "reading the call's results");
  }
}

}  // namespace sgxref::bindings
