#include "testlib/kernel_memory.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace sgxref::testlib {

KernelMemory::~KernelMemory() {
  for (hw::PAddr pa : frames_) m_.ram().free(pa);
}

hw::PAddr KernelMemory::frame() {
  const hw::PAddr pa = m_.ram().alloc();
  if (pa == 0) throw std::runtime_error("test machine ran out of RAM frames");
  frames_.push_back(pa);
  return pa;
}

void KernelMemory::write(hw::PAddr pa, const void* data, size_t n) {
  uint8_t* f = m_.ram().frame(pa);
  ASSERT_NE(f, nullptr) << "write to unallocated test frame";
  ASSERT_LE(hw::page_offset(pa) + n, hw::kPageSize);
  std::memcpy(f + hw::page_offset(pa), data, n);
}

void KernelMemory::read(hw::PAddr pa, void* out, size_t n) const {
  const uint8_t* f = m_.ram().frame(pa);
  ASSERT_NE(f, nullptr) << "read of unallocated test frame";
  ASSERT_LE(hw::page_offset(pa) + n, hw::kPageSize);
  std::memcpy(out, f + hw::page_offset(pa), n);
}

}  // namespace sgxref::testlib
