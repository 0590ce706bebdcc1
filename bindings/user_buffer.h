// File: a piece of the process's anonymous memory for one system call's arguments, as
// a C program's stack would hold them: mapped for the call, unmapped after. The
// driver copies from and to it with copy_from_user/copy_to_user, so what Python passes
// reaches the driver exactly as a user program's would. Use inside Machine::run.
#pragma once

#include <cstdint>

#include "hw/address.h"
#include "kernel/process.h"

namespace sgxref::bindings {

class UserBuffer {
 public:
  // `len` bytes (rounded up to pages), readable and writable; DriverError if the
  // process cannot map them.
  UserBuffer(kernel::Process& p, uint64_t len);
  ~UserBuffer();
  UserBuffer(const UserBuffer&) = delete;
  UserBuffer& operator=(const UserBuffer&) = delete;

  hw::LAddr at(uint64_t offset) const { return base_ + offset; }
  void write(uint64_t offset, const void* data, uint64_t n);
  void read(uint64_t offset, void* out, uint64_t n) const;

  template <typename T>
  void put(uint64_t offset, const T& v) {
    write(offset, &v, sizeof v);
  }
  template <typename T>
  T get(uint64_t offset) const {
    T v;
    read(offset, &v, sizeof v);
    return v;
  }

 private:
  kernel::Process& p_;
  hw::LAddr base_ = 0;
  uint64_t len_ = 0;
};

}  // namespace sgxref::bindings
