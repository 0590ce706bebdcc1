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
  kEaug, kEmodpr, kEmodt, kEaccept, kEacceptcopy, kEmodpe, kEenter, kEresume, kEexit,
  kEreport, kAex, kIpi, kLoad, kStore, kFetch, kStoreTcs, kPteSet, kPteClear,
  kPteSetNoIpi, kPteClearNoIpi, kCr3, kLeafCount
};

inline constexpr const char* kLeafNames[kLeafCount] = {
    "ECREATE", "EADD",    "EEXTEND",   "EINIT",         "EPA",          "EBLOCK",
    "ETRACK",  "EWB",     "ELDB",      "ELDU",          "EREMOVE",      "EAUG",
    "EMODPR",  "EMODT",   "EACCEPT",   "EACCEPTCOPY",   "EMODPE",       "EENTER",
    "ERESUME", "EEXIT",   "EREPORT",   "AEX",           "IPI",          "load",
    "store",   "fetch",   "store_tcs", "pte_set",       "pte_clear",    "pte_set (no IPI)",
    "pte_clear (no IPI)", "cr3"};

inline constexpr const char* kLeafEnumNames[kLeafCount] = {
    "kEcreate", "kEadd",    "kEextend",   "kEinit",       "kEpa",          "kEblock",
    "kEtrack",  "kEwb",     "kEldb",      "kEldu",        "kEremove",      "kEaug",
    "kEmodpr",  "kEmodt",   "kEaccept",   "kEacceptcopy", "kEmodpe",       "kEenter",
    "kEresume", "kEexit",   "kEreport",   "kAex",         "kIpi",          "kLoad",
    "kStore",   "kFetch",   "kStoreTcs",  "kPteSet",      "kPteClear",     "kPteSetNoIpi",
    "kPteClearNoIpi", "kCr3"};

using Args = std::variant<arch::EcreateOp<C>, arch::EaddOp<C>, arch::EextendOp<C>,
                          arch::EinitOp<C>, arch::PageOp<C>, arch::EtrackOp<C>, arch::EwbOp<C>,
                          arch::EldOp<C>, arch::EaugOp<C>, arch::ModifyOp<C>, arch::AcceptOp<C>,
                          arch::AcceptCopyOp<C>, arch::EnterOp<C>, arch::CpuOp<C>,
                          arch::EreportOp<C>, arch::AccessOp<C>, arch::StoreTcsOp<C>,
                          arch::PteSetOp<C>, arch::PteClearOp<C>, arch::Cr3Op<C>>;

// The OS's page-table moves come two ways: kPteSet and kPteClear as Linux makes them, the
// edit and then an IPI to every CPU, so no CPU keeps a translation the page table no
// longer has; kPteSetNoIpi and kPteClearNoIpi alone, so stale translations stay usable.
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

inline bool is_pte_move(Leaf l) {
  return l == kPteSet || l == kPteClear || l == kPteSetNoIpi || l == kPteClearNoIpi;
}

// Whether the operation interrupts other CPUs (an IPI, or a PTE move followed by them).
inline bool interrupts(const Op& op, int64_t cpu) {
  if (op.leaf == kPteSet || op.leaf == kPteClear) return true;
  return (op.leaf == kIpi || op.leaf == kAex) && op_cpu(op) == cpu;
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
    case kEreport: return arch::ereport(d, s, std::get<arch::EreportOp<C>>(a));
    case kAex: return arch::aex(d, s, std::get<arch::CpuOp<C>>(a));
    case kIpi: return arch::ipi(d, s, std::get<arch::CpuOp<C>>(a));
    case kLoad: return arch::load(d, s, std::get<arch::AccessOp<C>>(a));
    case kStore: return arch::store(d, s, std::get<arch::AccessOp<C>>(a));
    case kFetch: return arch::fetch(d, s, std::get<arch::AccessOp<C>>(a));
    case kStoreTcs: return arch::store_tcs(d, s, std::get<arch::StoreTcsOp<C>>(a));
    case kCr3: return arch::cr3(d, s, std::get<arch::Cr3Op<C>>(a));
    case kPteSet:
    case kPteClear:
    case kPteSetNoIpi:
    case kPteClearNoIpi: {
      const bool set = op.leaf == kPteSet || op.leaf == kPteSetNoIpi;
      const arch::Outcome<C> out = set ? arch::pte_set(d, s, std::get<arch::PteSetOp<C>>(a))
                                       : arch::pte_clear(d, s, std::get<arch::PteClearOp<C>>(a));
      if (op.leaf == kPteSet || op.leaf == kPteClear) {
        for (int64_t c = 0; c < int64_t(s.sz.cpus); ++c) arch::ipi(d, s, arch::CpuOp<C>{c});
      }
      return out;
    }
    case kLeafCount: break;
  }
  return {arch::kind::kUd, 0, 0, 0, 0};
}

// Whether `leaf` runs in two phases, so its first may be parked while another runs.
inline bool two_phase(Leaf leaf) { return leaf <= kEresume; }

// The scheduling point each two-phase leaf's emulator code parks at between its phases.
inline const char* park_point(Leaf leaf) {
  static constexpr const char* kPoints[] = {
      "ecreate.locked", "eadd.measuring", "eextend.measuring", "einit.locked",
      "epa.locked",     "eblock.locked",  "etrack.locked",     "ewb.locked",
      "eldb.locked",    "eldu.locked",    "eremove.locked",    "eaug.locked",
      "emodpr.locked",  "emodt.locked",   "eaccept.locked",    "eacceptcopy.locked",
      "emodpe.locked",  "eenter.locked",  "eresume.locked"};
  return kPoints[leaf];
}

// The first (begin) or second (end) phase of a two-phase leaf.
inline arch::Outcome<C> apply_phase(const C& d, arch::State<C>& s, const Op& op, bool first) {
  const auto& a = op.args;
  const auto run = [&](auto begin, auto end, const auto& args) {
    return first ? begin(d, s, args) : end(d, s, args);
  };
  using namespace arch;
  switch (op.leaf) {
    case kEcreate: return run(ecreate_begin<C>, ecreate_end<C>, std::get<EcreateOp<C>>(a));
    case kEadd: return run(eadd_begin<C>, eadd_end<C>, std::get<EaddOp<C>>(a));
    case kEextend: return run(eextend_begin<C>, eextend_end<C>, std::get<EextendOp<C>>(a));
    case kEinit: return run(einit_begin<C>, einit_end<C>, std::get<EinitOp<C>>(a));
    case kEpa: return run(epa_begin<C>, epa_end<C>, std::get<PageOp<C>>(a));
    case kEblock: return run(eblock_begin<C>, eblock_end<C>, std::get<PageOp<C>>(a));
    case kEtrack: return run(etrack_begin<C>, etrack_end<C>, std::get<EtrackOp<C>>(a));
    case kEwb: return run(ewb_begin<C>, ewb_end<C>, std::get<EwbOp<C>>(a));
    case kEldb: return run(eldb_begin<C>, eldb_end<C>, std::get<EldOp<C>>(a));
    case kEldu: return run(eldu_begin<C>, eldu_end<C>, std::get<EldOp<C>>(a));
    case kEremove: return run(eremove_begin<C>, eremove_end<C>, std::get<PageOp<C>>(a));
    case kEaug: return run(eaug_begin<C>, eaug_end<C>, std::get<EaugOp<C>>(a));
    case kEmodpr: return run(emodpr_begin<C>, emodpr_end<C>, std::get<ModifyOp<C>>(a));
    case kEmodt: return run(emodt_begin<C>, emodt_end<C>, std::get<ModifyOp<C>>(a));
    case kEaccept: return run(eaccept_begin<C>, eaccept_end<C>, std::get<AcceptOp<C>>(a));
    case kEacceptcopy:
      return run(eacceptcopy_begin<C>, eacceptcopy_end<C>, std::get<AcceptCopyOp<C>>(a));
    case kEmodpe: return run(emodpe_begin<C>, emodpe_end<C>, std::get<AcceptOp<C>>(a));
    case kEenter: return run(eenter_begin<C>, eenter_end<C>, std::get<EnterOp<C>>(a));
    case kEresume: return run(eresume_begin<C>, eresume_end<C>, std::get<EnterOp<C>>(a));
    default: break;
  }
  return {kind::kUd, 0, 0, 0, 0};
}

// Two leaves on two CPUs at once: `parked` runs its first phase and holds its locks (in
// the emulator it waits at its scheduling point, park_point(), on a thread of its own)
// while `other` runs whole on another CPU; then `parked` finishes. A first phase that
// fails ends the leaf there, and `other` runs after it. `other` must not interrupt the
// parked CPU (an ENCLU leaf holds that CPU until it finishes).
struct OverlapOp {
  Op parked;
  Op other;
};

struct OverlapOutcome {
  arch::Outcome<C> parked, other;
};

inline OverlapOutcome apply(const C& d, arch::State<C>& s, const OverlapOp& op) {
  const arch::Outcome<C> first = apply_phase(d, s, op.parked, true);
  const bool flying = s.cpu[size_t(op_cpu(op.parked))].flight.leaf != arch::flight::kNone;
  const arch::Outcome<C> other = apply(d, s, op.other);
  return {flying ? apply_phase(d, s, op.parked, false) : first, other};
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
        if constexpr (std::is_same_v<T, arch::EreportOp<C>>) os << "EreportOp<C>";
        if constexpr (std::is_same_v<T, arch::AccessOp<C>>) os << "AccessOp<C>";
        if constexpr (std::is_same_v<T, arch::StoreTcsOp<C>>) os << "StoreTcsOp<C>";
        if constexpr (std::is_same_v<T, arch::PteSetOp<C>>) os << "PteSetOp<C>";
        if constexpr (std::is_same_v<T, arch::PteClearOp<C>>) os << "PteClearOp<C>";
        if constexpr (std::is_same_v<T, arch::Cr3Op<C>>) os << "Cr3Op<C>";
        print_braced(os, a);
        os << "}";
      },
      op.args);
  return os;
}

inline std::ostream& operator<<(std::ostream& os, const OverlapOp& op) {
  return os << "OverlapOp{" << op.parked << ", " << op.other << "}";
}

// The operations that build the scenario enclave of world.h's layout (ECREATE, EADD of
// the TCS and two REG pages, EPA, EINIT) and map pages 0-2 in address space 0, all on
// CPU 1. The REG pages' words hold 2 and 3; a TCS's must be 0 (its reserved bytes).
inline std::vector<Op> scenario_build_ops() {
  using namespace arch;
  const auto si = [](int64_t type, bool r = false, bool w = false, bool x = false) {
    return SecInfo<C>{false, type, r, w, x, false, false, false};
  };
  return {
      Op{kEcreate, EcreateOp<C>{1, 0, si(pt::kSecs), 0, 4, true}},
      Op{kEadd, EaddOp<C>{1, 1, 0, 0, si(pt::kTcs), 2, 1, 0}},
      Op{kEadd, EaddOp<C>{1, 2, 0, 1, si(pt::kReg, true, true), 0, 0, 2}},
      Op{kEadd, EaddOp<C>{1, 3, 0, 2, si(pt::kReg, true, true, true), 0, 0, 3}},
      Op{kEpa, PageOp<C>{1, 4}},
      Op{kEinit, EinitOp<C>{1, 0, 0, 4, 2, 0}},
      Op{kPteSet, PteSetOp<C>{0, 0, 1, true, false}},
      Op{kPteSet, PteSetOp<C>{0, 1, 2, true, false}},
      Op{kPteSet, PteSetOp<C>{0, 2, 3, true, true}},
  };
}

// After scenario_build_ops(): a second enclave at the same linear range in address space 1
// (SECS in slot 5, a TCS at page 0 in slot 6 with one SSA frame at page 1 in slot 7, RW),
// mapped there, and CPU 0 pointed at that space.
inline std::vector<Op> second_enclave_ops() {
  using namespace arch;
  const auto si = [](int64_t type, bool r = false, bool w = false, bool x = false) {
    return SecInfo<C>{false, type, r, w, x, false, false, false};
  };
  return {
      Op{kEcreate, EcreateOp<C>{1, 5, si(pt::kSecs), 0, 4, true}},
      Op{kEadd, EaddOp<C>{1, 6, 5, 0, si(pt::kTcs), 1, 1, 0}},
      Op{kEadd, EaddOp<C>{1, 7, 5, 1, si(pt::kReg, true, true), 0, 0, 4}},
      Op{kEinit, EinitOp<C>{1, 5, 0, 3, 1, 0}},
      Op{kPteSet, PteSetOp<C>{1, 0, 6, true, false}},
      Op{kPteSet, PteSetOp<C>{1, 1, 7, true, false}},
      Op{kCr3, Cr3Op<C>{0, 1}},
  };
}

}  // namespace sgxref::model::test
