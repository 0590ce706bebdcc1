// File: one operation on the concrete model as a value: which leaf and its operands.
// Random walks, the conformance properties and their regression tests all speak it, so a
// failing sequence prints as C++ that a regression test can hold verbatim.
#pragma once

#include <ostream>
#include <variant>
#include <vector>

#include "arch/arch.h"
#include "domain/concrete.h"
#include "model/leaves.h"

namespace sgxref::model::test {

using C = Concrete;

enum Leaf : int {
  kEcreate, kEadd, kEextend, kEinit, kEpa, kEblock, kEtrack, kEwb, kEldb, kEldu, kEremove,
  kEaug, kEmodpr, kEmodt, kEaccept, kEacceptcopy, kEmodpe, kEenter, kEresume, kEexit, kAex,
  kIpi, kLoad, kStore, kFetch, kStoreTcs, kPteSet, kPteClear, kLeafCount
};

inline constexpr const char* kLeafNames[kLeafCount] = {
    "ECREATE", "EADD",        "EEXTEND", "EINIT",   "EPA",       "EBLOCK",  "ETRACK",
    "EWB",     "ELDB",        "ELDU",    "EREMOVE", "EAUG",      "EMODPR",  "EMODT",
    "EACCEPT", "EACCEPTCOPY", "EMODPE",  "EENTER",  "ERESUME",   "EEXIT",   "AEX",
    "IPI",     "load",        "store",   "fetch",   "store_tcs", "pte_set", "pte_clear"};

inline constexpr const char* kLeafEnumNames[kLeafCount] = {
    "kEcreate", "kEadd",   "kEextend", "kEinit",  "kEpa",      "kEblock",      "kEtrack",
    "kEwb",     "kEldb",   "kEldu",    "kEremove", "kEaug",    "kEmodpr",      "kEmodt",
    "kEaccept", "kEacceptcopy", "kEmodpe", "kEenter", "kEresume", "kEexit",    "kAex",
    "kIpi",     "kLoad",   "kStore",   "kFetch",  "kStoreTcs", "kPteSet",      "kPteClear"};

using Args = std::variant<arch::EcreateOp<C>, arch::EaddOp<C>, arch::EextendOp<C>,
                          arch::EinitOp<C>, arch::PageOp<C>, arch::EtrackOp<C>, arch::EwbOp<C>,
                          arch::EldOp<C>, arch::EaugOp<C>, arch::ModifyOp<C>, arch::AcceptOp<C>,
                          arch::AcceptCopyOp<C>, arch::EnterOp<C>, arch::CpuOp<C>,
                          arch::AccessOp<C>, arch::StoreTcsOp<C>, arch::PteSetOp<C>,
                          arch::PteClearOp<C>>;

// The OS's page-table moves (kPteSet, kPteClear) are made as Linux makes them: the edit,
// then an IPI to every CPU, so no CPU keeps a translation the page table no longer has.
struct Op {
  Leaf leaf;
  Args args;
};

// The CPU an operation runs on, or -1 for the OS's page-table moves.
inline int64_t op_cpu(const Op& op) {
  return std::visit(
      [](const auto& a) -> int64_t {
        if constexpr (requires { a.cpu; }) {
          return a.cpu;
        } else {
          return -1;
        }
      },
      op.args);
}

// Applies `op` to `s` and returns its outcome (for a page-table move, the edit's).
inline arch::Outcome<C> apply(const C& d, arch::State<C>& s, const Op& op) {
  const auto& a = op.args;
  switch (op.leaf) {
    case kEcreate: return arch::ecreate(d, s, std::get<arch::EcreateOp<C>>(a));
    case kEadd: return arch::eadd(d, s, std::get<arch::EaddOp<C>>(a));
    case kEextend: return arch::eextend(d, s, std::get<arch::EextendOp<C>>(a));
    case kEinit: return arch::einit(d, s, std::get<arch::EinitOp<C>>(a));
    case kEpa: return arch::epa(d, s, std::get<arch::PageOp<C>>(a));
    case kEblock: return arch::eblock(d, s, std::get<arch::PageOp<C>>(a));
    case kEtrack: return arch::etrack(d, s, std::get<arch::EtrackOp<C>>(a));
    case kEwb: return arch::ewb(d, s, std::get<arch::EwbOp<C>>(a));
    case kEldb: return arch::eldb(d, s, std::get<arch::EldOp<C>>(a));
    case kEldu: return arch::eldu(d, s, std::get<arch::EldOp<C>>(a));
    case kEremove: return arch::eremove(d, s, std::get<arch::PageOp<C>>(a));
    case kEaug: return arch::eaug(d, s, std::get<arch::EaugOp<C>>(a));
    case kEmodpr: return arch::emodpr(d, s, std::get<arch::ModifyOp<C>>(a));
    case kEmodt: return arch::emodt(d, s, std::get<arch::ModifyOp<C>>(a));
    case kEaccept: return arch::eaccept(d, s, std::get<arch::AcceptOp<C>>(a));
    case kEacceptcopy: return arch::eacceptcopy(d, s, std::get<arch::AcceptCopyOp<C>>(a));
    case kEmodpe: return arch::emodpe(d, s, std::get<arch::AcceptOp<C>>(a));
    case kEenter: return arch::eenter(d, s, std::get<arch::EnterOp<C>>(a));
    case kEresume: return arch::eresume(d, s, std::get<arch::EnterOp<C>>(a));
    case kEexit: return arch::eexit(d, s, std::get<arch::CpuOp<C>>(a));
    case kAex: return arch::aex(d, s, std::get<arch::CpuOp<C>>(a));
    case kIpi: return arch::ipi(d, s, std::get<arch::CpuOp<C>>(a));
    case kLoad: return arch::load(d, s, std::get<arch::AccessOp<C>>(a));
    case kStore: return arch::store(d, s, std::get<arch::AccessOp<C>>(a));
    case kFetch: return arch::fetch(d, s, std::get<arch::AccessOp<C>>(a));
    case kStoreTcs: return arch::store_tcs(d, s, std::get<arch::StoreTcsOp<C>>(a));
    case kPteSet:
    case kPteClear: {
      const arch::Outcome<C> out = op.leaf == kPteSet
                                       ? arch::pte_set(d, s, std::get<arch::PteSetOp<C>>(a))
                                       : arch::pte_clear(d, s, std::get<arch::PteClearOp<C>>(a));
      for (int64_t c = 0; c < int64_t(s.sz.cpus); ++c) arch::ipi(d, s, arch::CpuOp<C>{c});
      return out;
    }
    case kLeafCount: break;
  }
  return {arch::kind::kUd, 0, 0, 0};
}

// Two leaves on two CPUs at once: EBLOCK of `eblock.slot` takes its Shared lock on the
// page and pauses there (its "eblock.locked" scheduling point in the emulator) while
// `other` runs to completion; then EBLOCK finishes. EBLOCK checks the page only after
// taking its lock, so it finishes exactly as it would run alone after `other`.
struct OverlapOp {
  arch::PageOp<C> eblock;
  Op other;
};

struct OverlapOutcome {
  arch::Outcome<C> eblock, other;
};

inline OverlapOutcome apply(const C& d, arch::State<C>& s, const OverlapOp& op) {
  s.held = true;
  s.held_slot = op.eblock.slot;
  const arch::Outcome<C> other = apply(d, s, op.other);
  s.held = false;
  s.held_slot = 0;
  return {arch::eblock(d, s, op.eblock), other};
}

// C++ that rebuilds the operation: Op{kEwb, arch::EwbOp<C>{1, 3, 4, 0, 0}}.
inline std::ostream& operator<<(std::ostream& os, const Op& op) {
  std::visit(
      [&](const auto& a) {
        using T = std::remove_cvref_t<decltype(a)>;
        os << "Op{" << kLeafEnumNames[op.leaf] << ", arch::";
        if constexpr (std::is_same_v<T, arch::EcreateOp<C>>) os << "EcreateOp<C>";
        if constexpr (std::is_same_v<T, arch::EaddOp<C>>) os << "EaddOp<C>";
        if constexpr (std::is_same_v<T, arch::EextendOp<C>>) os << "EextendOp<C>";
        if constexpr (std::is_same_v<T, arch::EinitOp<C>>) os << "EinitOp<C>";
        if constexpr (std::is_same_v<T, arch::PageOp<C>>) os << "PageOp<C>";
        if constexpr (std::is_same_v<T, arch::EtrackOp<C>>) os << "EtrackOp<C>";
        if constexpr (std::is_same_v<T, arch::EwbOp<C>>) os << "EwbOp<C>";
        if constexpr (std::is_same_v<T, arch::EldOp<C>>) os << "EldOp<C>";
        if constexpr (std::is_same_v<T, arch::EaugOp<C>>) os << "EaugOp<C>";
        if constexpr (std::is_same_v<T, arch::ModifyOp<C>>) os << "ModifyOp<C>";
        if constexpr (std::is_same_v<T, arch::AcceptOp<C>>) os << "AcceptOp<C>";
        if constexpr (std::is_same_v<T, arch::AcceptCopyOp<C>>) os << "AcceptCopyOp<C>";
        if constexpr (std::is_same_v<T, arch::EnterOp<C>>) os << "EnterOp<C>";
        if constexpr (std::is_same_v<T, arch::CpuOp<C>>) os << "CpuOp<C>";
        if constexpr (std::is_same_v<T, arch::AccessOp<C>>) os << "AccessOp<C>";
        if constexpr (std::is_same_v<T, arch::StoreTcsOp<C>>) os << "StoreTcsOp<C>";
        if constexpr (std::is_same_v<T, arch::PteSetOp<C>>) os << "PteSetOp<C>";
        if constexpr (std::is_same_v<T, arch::PteClearOp<C>>) os << "PteClearOp<C>";
        print_braced(os, a);
        os << "}";
      },
      op.args);
  return os;
}

inline std::ostream& operator<<(std::ostream& os, const OverlapOp& op) {
  os << "OverlapOp{arch::PageOp<C>";
  print_braced(os, op.eblock);
  return os << ", " << op.other << "}";
}

// The operations that build the scenario enclave of world.h's layout (ECREATE, EADD of
// the TCS and two REG pages, EPA, EINIT) and map pages 0-2, all on CPU 1.
inline std::vector<Op> scenario_build_ops() {
  using namespace arch;
  const auto si = [](int64_t type, bool r = false, bool w = false, bool x = false) {
    return SecInfo<C>{false, type, r, w, x, false, false, false};
  };
  return {
      Op{kEcreate, EcreateOp<C>{1, 0, si(pt::kSecs), 0, 4, true}},
      Op{kEadd, EaddOp<C>{1, 1, 0, 0, si(pt::kTcs), 2, 1}},
      Op{kEadd, EaddOp<C>{1, 2, 0, 1, si(pt::kReg, true, true), 0, 0}},
      Op{kEadd, EaddOp<C>{1, 3, 0, 2, si(pt::kReg, true, true, true), 0, 0}},
      Op{kEpa, PageOp<C>{1, 4}},
      Op{kEinit, EinitOp<C>{1, 0, 0, 0}},
      Op{kPteSet, PteSetOp<C>{0, 1, true, false}},
      Op{kPteSet, PteSetOp<C>{1, 2, true, false}},
      Op{kPteSet, PteSetOp<C>{2, 3, true, true}},
  };
}

}  // namespace sgxref::model::test
