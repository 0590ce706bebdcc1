// File: a pointer or a negative errno in one value, as Linux's ERR_PTR/IS_ERR/PTR_ERR,
// so allocation paths read as the kernel's do.
#pragma once

namespace sgxref::driver {

template <typename T>
class ErrPtr {
 public:
  ErrPtr(T* p) : p_(p) {}  // NOLINT: a pointer converts, as in C
  static ErrPtr error(int negative_errno) {
    ErrPtr e(nullptr);
    e.err_ = negative_errno;
    return e;
  }

  bool is_err() const { return err_ != 0; }
  int err() const { return err_; }
  T* get() const { return p_; }
  T* operator->() const { return p_; }

 private:
  T* p_ = nullptr;
  int err_ = 0;
};

}  // namespace sgxref::driver
