// File: byte copies into and out of memory that several logical CPUs may touch at the
// same time (enclave pages, user memory). Real memory is coherent; in C++ two threads
// touching the same bytes must use atomics, so these copies use relaxed atomic
// accesses, in whole aligned words where they can. Ordering between CPUs comes from the
// locks and tracking that architecturally separate the accesses, not from these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sgxref::hw {

namespace detail {

template <typename T>
inline bool word_fits(const void* p, size_t n) {
  return n == sizeof(T) && (reinterpret_cast<uintptr_t>(p) % sizeof(T)) == 0;
}

}  // namespace detail

inline void load_shared(const uint8_t* src, void* dst, size_t n) {
  if (detail::word_fits<uint64_t>(src, n)) {
    const uint64_t v = __atomic_load_n(reinterpret_cast<const uint64_t*>(src), __ATOMIC_RELAXED);
    std::memcpy(dst, &v, 8);
    return;
  }
  if (detail::word_fits<uint32_t>(src, n)) {
    const uint32_t v = __atomic_load_n(reinterpret_cast<const uint32_t*>(src), __ATOMIC_RELAXED);
    std::memcpy(dst, &v, 4);
    return;
  }
  auto* out = static_cast<uint8_t*>(dst);
  size_t i = 0;
  if (reinterpret_cast<uintptr_t>(src) % 8 == 0) {
    for (; i + 8 <= n; i += 8) {
      const uint64_t v =
          __atomic_load_n(reinterpret_cast<const uint64_t*>(src + i), __ATOMIC_RELAXED);
      std::memcpy(out + i, &v, 8);
    }
  }
  for (; i < n; ++i) out[i] = __atomic_load_n(src + i, __ATOMIC_RELAXED);
}

inline void store_shared(uint8_t* dst, const void* src, size_t n) {
  if (detail::word_fits<uint64_t>(dst, n)) {
    uint64_t v;
    std::memcpy(&v, src, 8);
    __atomic_store_n(reinterpret_cast<uint64_t*>(dst), v, __ATOMIC_RELAXED);
    return;
  }
  if (detail::word_fits<uint32_t>(dst, n)) {
    uint32_t v;
    std::memcpy(&v, src, 4);
    __atomic_store_n(reinterpret_cast<uint32_t*>(dst), v, __ATOMIC_RELAXED);
    return;
  }
  const auto* in = static_cast<const uint8_t*>(src);
  size_t i = 0;
  if (reinterpret_cast<uintptr_t>(dst) % 8 == 0) {
    for (; i + 8 <= n; i += 8) {
      uint64_t v;
      std::memcpy(&v, in + i, 8);
      __atomic_store_n(reinterpret_cast<uint64_t*>(dst + i), v, __ATOMIC_RELAXED);
    }
  }
  for (; i < n; ++i) __atomic_store_n(dst + i, in[i], __ATOMIC_RELAXED);
}

inline void fill_shared(uint8_t* dst, uint8_t byte, size_t n) {
  for (size_t i = 0; i < n; ++i) __atomic_store_n(dst + i, byte, __ATOMIC_RELAXED);
}

}  // namespace sgxref::hw
