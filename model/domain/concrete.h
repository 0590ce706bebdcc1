// File: the concrete value domain: Bool is bool, Int is int64_t. Widths are the symbolic
// domain's business; the model keeps every Int it stores within its field's width (see
// domain.h for the rules), so both interpretations compute the same numbers.
#pragma once

#include <cstdint>

namespace sgxref::model {

struct Concrete {
  using Bool = bool;
  using Int = int64_t;
  static constexpr bool kSymbolic = false;

  Bool lit(bool b) const { return b; }
  Int num(int64_t v) const { return v; }
  // A value of a field `bits` wide; the concrete domain has no widths.
  Int num(int64_t v, unsigned /*bits*/) const { return v; }
};

inline bool ite(bool c, bool a, bool b) { return c ? a : b; }
inline int64_t ite(bool c, int64_t a, int64_t b) { return c ? a : b; }

}  // namespace sgxref::model
