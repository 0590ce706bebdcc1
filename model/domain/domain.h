// File: the value-domain interface the model is written against, and the generic
// helpers built on it: choice between whole records (ite), indexing a vector by a
// domain-valued index (at, put), loops that fold to one Bool, saturating steps.
//
// Rules that keep the two interpretations equal:
// - Every Int is a number >= 0. The symbolic domain never wraps (symbolic.h: widths grow
//   to fit), the model subtracts only where the result is not negative, and it bounds
//   what it stores with inc_sat, so int64_t and a bit-vector give the same
//   number. Each state field has a declared width (state.h's Widths) its values fit in.
// - A value read at an index outside the vector is element 0 in both domains, and a
//   write there changes nothing. Where such a read could matter (an operand outside
//   the EPC, say), a check that fails first makes its value irrelevant.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "domain/concrete.h"

namespace sgxref::model {

template <class D>
concept Domain = requires(const D& d, const typename D::Bool& b, const typename D::Int& i) {
  { d.lit(true) } -> std::same_as<typename D::Bool>;
  { d.num(0) } -> std::same_as<typename D::Int>;
  { d.num(0, 1u) } -> std::same_as<typename D::Int>;
  { !b } -> std::same_as<typename D::Bool>;
  { b&& b } -> std::same_as<typename D::Bool>;
  { b || b } -> std::same_as<typename D::Bool>;
  { i == i } -> std::same_as<typename D::Bool>;
  { i < i } -> std::same_as<typename D::Bool>;
  { i <= int64_t(0) } -> std::same_as<typename D::Bool>;
  { i + int64_t(1) } -> std::same_as<typename D::Int>;
  { ite(b, i, i) } -> std::same_as<typename D::Int>;
  { ite(b, b, b) } -> std::same_as<typename D::Bool>;
};

// A record lists its fields once, in a static `fields(f, s...)` that calls
// f("name", s.name...) for each field; ite, the tests and the printers use it.
template <class T>
concept Record = requires(T& t) {
  T::fields([](const char*, auto&...) {}, t);
};

template <class B, class T>
std::vector<T> ite(const B& c, const std::vector<T>& a, const std::vector<T>& b);
template <class B, Record T>
T ite(const B& c, const T& a, const T& b);

template <class B, class T>
std::vector<T> ite(const B& c, const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> r = b;
  for (size_t k = 0; k < r.size(); ++k) r[k] = ite(c, a[k], b[k]);
  return r;
}

template <class B, Record T>
T ite(const B& c, const T& a, const T& b) {
  T r = b;
  T::fields([&](const char*, auto& rf, const auto& af, const auto& bf) { rf = ite(c, af, bf); }, r,
            a, b);
  return r;
}

// v[i]; element 0 when i is out of range.
template <Domain D, class T>
T at(const D&, const std::vector<T>& v, const typename D::Int& i) {
  if constexpr (!D::kSymbolic) {
    return i >= 0 && i < int64_t(v.size()) ? v[size_t(i)] : v[0];
  } else {
    T r = v[0];
    for (size_t k = 1; k < v.size(); ++k) r = ite(i == int64_t(k), v[k], r);
    return r;
  }
}

// v[i].*field, without building the other fields' choices.
template <Domain D, class T, class M>
M at(const D&, const std::vector<T>& v, const typename D::Int& i, M T::*field) {
  if constexpr (!D::kSymbolic) {
    return i >= 0 && i < int64_t(v.size()) ? v[size_t(i)].*field : v[0].*field;
  } else {
    M r = v[0].*field;
    for (size_t k = 1; k < v.size(); ++k) r = ite(i == int64_t(k), v[k].*field, r);
    return r;
  }
}

// v[i] := value when `when` holds (and i is in range).
template <Domain D, class T>
void put(const D&, std::vector<T>& v, const typename D::Int& i, const typename D::Bool& when,
         const T& value) {
  if constexpr (!D::kSymbolic) {
    if (when && i >= 0 && i < int64_t(v.size())) v[size_t(i)] = value;
  } else {
    for (size_t k = 0; k < v.size(); ++k) v[k] = ite(when && i == int64_t(k), value, v[k]);
  }
}

// v[i].*field := value when `when` holds (and i is in range).
template <Domain D, class T, class M>
void put(const D&, std::vector<T>& v, const typename D::Int& i, const typename D::Bool& when,
         M T::*field, const M& value) {
  if constexpr (!D::kSymbolic) {
    if (when && i >= 0 && i < int64_t(v.size())) v[size_t(i)].*field = value;
  } else {
    for (size_t k = 0; k < v.size(); ++k)
      v[k].*field = ite(when && i == int64_t(k), value, v[k].*field);
  }
}

// f(0) || ... || f(n-1) and f(0) && ... && f(n-1), for f(int64_t k) -> Bool.
template <Domain D, class F>
typename D::Bool any_index(const D& d, size_t n, F&& f) {
  typename D::Bool r = d.lit(false);
  for (size_t k = 0; k < n; ++k) r = r || f(int64_t(k));
  return r;
}
template <Domain D, class F>
typename D::Bool all_index(const D& d, size_t n, F&& f) {
  typename D::Bool r = d.lit(true);
  for (size_t k = 0; k < n; ++k) r = r && f(int64_t(k));
  return r;
}

// x + 1, but not beyond cap.
template <class I>
I inc_sat(const I& x, int64_t cap) {
  return ite(x < cap, x + 1, x);
}

// x - 1, but not below 0.
template <class I>
I dec_sat(const I& x) {
  return ite(x > 0, x - 1, x);
}

}  // namespace sgxref::model
