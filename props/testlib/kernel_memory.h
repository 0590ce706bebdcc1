// File: a test's kernel-side memory: allocates RAM frames on the emulated machine and
// places operand blocks (PAGEINFO, SECINFO, SECS, source pages...) in them at the
// alignment the leaf requires, or deliberately off it.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "hw/machine.h"

namespace sgxref::testlib {

class KernelMemory {
 public:
  explicit KernelMemory(hw::Machine& m) : m_(m) {}
  ~KernelMemory();
  KernelMemory(const KernelMemory&) = delete;
  KernelMemory& operator=(const KernelMemory&) = delete;

  // A fresh zeroed frame.
  hw::PAddr frame();

  // Copies `v` into a fresh frame at `offset` and returns its address.
  template <typename T>
  hw::PAddr put(const T& v, uint64_t offset = 0) {
    static_assert(sizeof(T) <= hw::kPageSize);
    const hw::PAddr pa = frame() + offset;
    write(pa, &v, sizeof v);
    return pa;
  }

  void write(hw::PAddr pa, const void* data, size_t n);
  void read(hw::PAddr pa, void* out, size_t n) const;

  template <typename T>
  T get(hw::PAddr pa) const {
    T v;
    read(pa, &v, sizeof v);
    return v;
  }

 private:
  hw::Machine& m_;
  std::vector<hw::PAddr> frames_;
};

}  // namespace sgxref::testlib
