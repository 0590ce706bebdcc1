// File: leaves in flight (docs/model.md "Leaves in flight"). Every leaf that takes an
// architectural lock runs in two phases, as the emulator's do: the first makes the
// checks that come before its scheduling point and takes its locks, the second makes the
// rest and commits. Between them the CPU's Flight records the leaf, and other CPUs'
// leaves meet its locks: the concurrency rules of SDM 41.1.5 (#GP, or
// SGX_EPC_PAGE_CONFLICT for the leaves that report one) follow from the table below.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "arch/outcome.h"
#include "arch/state.h"

namespace sgxref::model::arch {

// The leaves that run in two phases, as Flight::leaf names them.
namespace flight {
inline constexpr int64_t kNone = 0;
inline constexpr int64_t kEcreate = 1;
inline constexpr int64_t kEadd = 2;
inline constexpr int64_t kEextend = 3;
inline constexpr int64_t kEinit = 4;
inline constexpr int64_t kEpa = 5;
inline constexpr int64_t kEblock = 6;
inline constexpr int64_t kEtrack = 7;
inline constexpr int64_t kEwb = 8;
inline constexpr int64_t kEldb = 9;
inline constexpr int64_t kEldu = 10;
inline constexpr int64_t kEremove = 11;
inline constexpr int64_t kEaug = 12;
inline constexpr int64_t kEmodpr = 13;
inline constexpr int64_t kEmodt = 14;
inline constexpr int64_t kEaccept = 15;
inline constexpr int64_t kEacceptcopy = 16;
inline constexpr int64_t kEmodpe = 17;
inline constexpr int64_t kEenter = 18;
inline constexpr int64_t kEresume = 19;
}  // namespace flight

// Whether `f` is one of `leaves` (a list that is never empty) in flight.
template <class D>
typename D::Bool is_leaf(const Flight<D>& f, std::initializer_list<int64_t> leaves) {
  typename D::Bool r = f.leaf == *leaves.begin();
  for (int64_t l : leaves) r = r || f.leaf == l;
  return r;
}

// What a leaf in flight holds (SDM 41.1.5, as the emulator applies it): its target
// Exclusive or Shared, the SECS Shared, the VA page Shared and one of its slots, the
// target's SGX2 (EPCM) lock, the SECS's measurement and tracking resources.
template <class D>
typename D::Bool holds_exclusive(const Flight<D>& f, const typename D::Int& j) {
  using namespace flight;
  return is_leaf(f, {kEcreate, kEadd, kEpa, kEwb, kEldb, kEldu, kEremove, kEaug, kEmodt}) &&
         f.slot == j;
}

template <class D>
typename D::Bool holds_shared(const Flight<D>& f, const typename D::Int& j) {
  using namespace flight;
  return (is_leaf(f, {kEblock, kEmodpr, kEaccept, kEextend, kEenter, kEresume}) && f.slot == j) ||
         (is_leaf(f, {kEadd, kEaug, kEinit, kEtrack, kEldb, kEldu}) && f.secs == j) ||
         (is_leaf(f, {kEwb, kEldb, kEldu}) && f.va == j);
}

template <class D>
typename D::Bool holds_sgx2(const Flight<D>& f, const typename D::Int& j) {
  using namespace flight;
  return is_leaf(f, {kEmodpr, kEmodt, kEaccept, kEacceptcopy, kEmodpe}) && f.slot == j;
}

template <class D>
typename D::Bool holds_measurement(const Flight<D>& f, const typename D::Int& secs) {
  using namespace flight;
  return is_leaf(f, {kEadd, kEextend, kEinit}) && f.secs == secs;
}

template <class D>
typename D::Bool holds_tracking(const Flight<D>& f, const typename D::Int& secs) {
  return is_leaf(f, {flight::kEtrack}) && f.secs == secs;
}

template <class D>
typename D::Bool holds_va_slot(const Flight<D>& f, const typename D::Int& va,
                               const typename D::Int& index) {
  using namespace flight;
  return is_leaf(f, {kEwb, kEldb, kEldu}) && f.va == va && f.va_index == index;
}

// Whether a CPU other than `me` has a leaf in flight for which `held(flight)` holds.
template <Domain D, class P>
typename D::Bool another_holds(const D& d, const State<D>& s, const typename D::Int& me,
                               P&& held) {
  return any_index(d, s.cpu.size(), [&](int64_t i) {
    return me != i && held(s.cpu[size_t(i)].flight);
  });
}

// The lock requests a leaf makes, each refused when another leaf in flight holds what
// conflicts with it: Exclusive against any holder, Shared against an Exclusive one, and
// each of the other resources against its own kind.
template <Domain D>
typename D::Bool exclusive_refused(const D& d, const State<D>& s, const typename D::Int& me,
                                   const typename D::Int& j) {
  return another_holds(d, s, me, [&](const Flight<D>& f) {
    return holds_exclusive(f, j) || holds_shared(f, j);
  });
}

template <Domain D>
typename D::Bool shared_refused(const D& d, const State<D>& s, const typename D::Int& me,
                                const typename D::Int& j) {
  return another_holds(d, s, me, [&](const Flight<D>& f) { return holds_exclusive(f, j); });
}

template <Domain D>
typename D::Bool sgx2_refused(const D& d, const State<D>& s, const typename D::Int& me,
                              const typename D::Int& j) {
  return another_holds(d, s, me, [&](const Flight<D>& f) { return holds_sgx2(f, j); });
}

template <Domain D>
typename D::Bool measurement_refused(const D& d, const State<D>& s, const typename D::Int& me,
                                     const typename D::Int& secs) {
  return another_holds(d, s, me, [&](const Flight<D>& f) { return holds_measurement(f, secs); });
}

template <Domain D>
typename D::Bool tracking_refused(const D& d, const State<D>& s, const typename D::Int& me,
                                  const typename D::Int& secs) {
  return another_holds(d, s, me, [&](const Flight<D>& f) { return holds_tracking(f, secs); });
}

template <Domain D>
typename D::Bool va_slot_refused(const D& d, const State<D>& s, const typename D::Int& me,
                                 const typename D::Int& va, const typename D::Int& index) {
  return another_holds(d, s, me, [&](const Flight<D>& f) { return holds_va_slot(f, va, index); });
}

// The first phase's end: CPU `cpu` holds what `f` names, when `go`.
template <Domain D>
void take_off(const D& d, State<D>& s, const typename D::Int& cpu, const typename D::Bool& go,
              const Flight<D>& f) {
  put(d, s.cpu, cpu, go, &Cpu<D>::flight, f);
}

// A flight of leaf `leaf` on target `slot`, holding nothing else yet.
template <Domain D>
Flight<D> flight_of(const D& d, const State<D>& s, int64_t leaf, const typename D::Int& slot) {
  Flight<D> f = no_flight(d, s.sz);
  f.leaf = d.num(leaf);
  f.slot = slot;
  f.secs = d.num(int64_t(s.sz.slots));
  f.va = d.num(int64_t(s.sz.slots));
  return f;
}

// The second phase's start: whether CPU `cpu` has leaf `leaf` in flight, and its record.
template <Domain D>
struct Landing {
  typename D::Bool here;
  Flight<D> f;
};

template <Domain D>
Landing<D> landing(const D& d, const State<D>& s, const typename D::Int& cpu, int64_t leaf) {
  const Flight<D> f = at(d, s.cpu, cpu, &Cpu<D>::flight);
  return {f.leaf == leaf, f};
}

// The second phase's end: the CPU holds nothing any more.
template <Domain D>
void land(const D& d, State<D>& s, const typename D::Int& cpu, const typename D::Bool& here) {
  put(d, s.cpu, cpu, here, &Cpu<D>::flight, no_flight(d, s.sz));
}

// A leaf run whole: its first phase, then its second if the first took off. (A CPU
// runs one leaf at a time: it has none in flight when a leaf starts there.)
template <Domain D, class Op, class Begin, class End>
Outcome<D> whole(const D& d, State<D>& s, const Op& op, Begin begin, End end) {
  const Outcome<D> first = begin(d, s, op);
  const typename D::Bool took_off = at(d, s.cpu, op.cpu, &Cpu<D>::flight).leaf != flight::kNone;
  const Outcome<D> second = end(d, s, op);
  return ite(took_off, second, first);
}

// Whether any CPU has a leaf in flight.
template <Domain D>
typename D::Bool in_flight(const D& d, const State<D>& s) {
  return any_index(d, s.cpu.size(),
                   [&](int64_t i) { return s.cpu[size_t(i)].flight.leaf != flight::kNone; });
}

}  // namespace sgxref::model::arch
