// File: the concrete value domain: Bool is bool, Int is int64_t. The model's Int values
// stay in [0, max()], the range of the symbolic domain's bit-vectors, so both
// interpretations compute the same numbers (see domain.h for the rules).
#pragma once

#include <cstdint>

namespace sgxref::model {

struct Concrete {
  using Bool = bool;
  using Int = int64_t;
  static constexpr bool kSymbolic = false;

  unsigned bits = 16;  // width of the symbolic domain this one mirrors

  Bool lit(bool b) const { return b; }
  Int num(int64_t v) const { return v; }
  int64_t max() const { return (int64_t(1) << bits) - 1; }
};

inline bool ite(bool c, bool a, bool b) { return c ? a : b; }
inline int64_t ite(bool c, int64_t a, int64_t b) { return c ? a : b; }

}  // namespace sgxref::model
