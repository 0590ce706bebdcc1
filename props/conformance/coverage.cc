#include "conformance/coverage.h"

#include <cstdio>

namespace sgxref::conformance {

namespace arch = model::arch;
using model::test::C;
using model::test::Leaf;
using model::test::Op;
using State = arch::State<C>;
using Out = arch::Outcome<C>;

namespace {

bool is_code(const Out& out, int64_t code) {
  return out.kind == arch::kind::kCode && out.code == code;
}
bool ok(const Out& out) { return out.kind == arch::kind::kOk; }

// A load, store or fetch: whether it used a TLB entry or walked, a stale entry, and the
// EPCM check that alone refused its fill.
void access_events(const State& s, const Op& op, const Out& out, std::vector<Event>& ev) {
  const auto& a = std::get<arch::AccessOp<C>>(op.args);
  const arch::Cpu<C>& c = s.cpu[size_t(a.cpu)];
  if (!c.mode || a.page >= int64_t(s.sz.pages)) return;
  const bool store = op.leaf == Leaf::kStore;
  const bool fetch = op.leaf == Leaf::kFetch;
  const auto right = [&](const auto& x) { return store ? x.w : fetch ? x.x : x.r; };
  const arch::TlbEntry<C>& t = c.tlb[size_t(a.page)];
  const arch::Pte<C>& p = s.pte[size_t(c.space)][size_t(a.page)];
  const arch::PageData<C>& secs = s.data[size_t(c.secs)];
  const bool elrange = a.page >= secs.base && a.page - secs.base < secs.size;
  const bool slots = p.slot < int64_t(s.sz.slots);
  const bool hit = t.valid && right(t);
  if (hit && ok(out)) {
    ev.push_back(store ? kStoreThroughTlb : kLoadThroughTlb);
    if (!p.present || p.slot != t.slot || (store && !p.w) || (fetch && !p.x))
      ev.push_back(kStalePteUsed);
    const arch::Epcm<C>& e = s.epcm[size_t(t.slot)];
    if (store && (!e.valid || !e.w || e.type != arch::pt::kReg)) ev.push_back(kStaleTlbWrite);
    return;
  }
  if (hit || !elrange || !p.present || (store && !p.w) || (fetch && !p.x)) return;
  if (ok(out)) {
    ev.push_back(store ? kStoreThroughWalk : kLoadThroughWalk);
    return;
  }
  if (!slots || !s.epcm[size_t(p.slot)].valid) {
    ev.push_back(kFillInvalid);
    return;
  }
  const arch::Epcm<C>& e = s.epcm[size_t(p.slot)];
  std::vector<Event> failing;
  if (e.secs != c.secs) failing.push_back(kFillEnclave);
  if (e.page != a.page) failing.push_back(kFillAddress);
  if (e.type != arch::pt::kReg) failing.push_back(kFillType);
  if (e.blocked) failing.push_back(kFillBlocked);
  if (e.pending) failing.push_back(kFillPending);
  if (e.modified) failing.push_back(kFillModified);
  if (!right(e)) failing.push_back(store ? kFillW : fetch ? kFillX : kFillR);
  // The type check never fails alone: a TCS or TRIM page has no rights, and a MODIFIED
  // page is always one of them. It counts when only the rights fail with it.
  const Event rights = store ? kFillW : fetch ? kFillX : kFillR;
  if (failing == std::vector<Event>{kFillType, rights}) failing = {kFillType};
  if (failing == std::vector<Event>{kFillType, kFillModified, rights}) failing = {kFillModified};
  if (failing.size() == 1) ev.push_back(failing[0]);
}

// ELDB/ELDU refused by its MAC because exactly one bound field differs.
void mac_events(const State& s, const Op& op, std::vector<Event>& ev) {
  const auto& a = std::get<arch::EldOp<C>>(op.args);
  const arch::Blob<C>& b = s.blob[size_t(a.blob)];
  if (!b.valid || a.va >= int64_t(s.sz.slots)) return;
  const bool child = arch::is_child_type(a.si.type);
  const int64_t eid = child && a.secs < int64_t(s.sz.slots) ? s.data[size_t(a.secs)].eid : 0;
  const arch::SecInfo<C> own{false, b.type, b.r, b.w, b.x, b.pending, b.modified, b.pr};
  std::vector<Event> failing;
  if (b.version != s.data[size_t(a.va)].va[size_t(a.va_index)]) failing.push_back(kMacVersion);
  if (b.eid != eid) failing.push_back(kMacEnclave);
  if (b.page != a.page) failing.push_back(kMacAddress);
  if (!model::test::same(own, a.si)) failing.push_back(kMacFlags);
  if (!a.intact) failing.push_back(kMacContents);
  if (failing.size() == 1) ev.push_back(failing[0]);
}

bool is_one_of(Leaf l, std::initializer_list<Leaf> ls) {
  for (Leaf x : ls)
    if (l == x) return true;
  return false;
}

}  // namespace

std::vector<Event> events(const State& s, const Op& op, const Out& out) {
  std::vector<Event> e;
  if (op.leaf == Leaf::kEwb && ok(out)) e.push_back(kEwbSuccess);
  if (is_code(out, arch::sgx::kNotTracked)) e.push_back(kNotTracked);
  if (is_code(out, arch::sgx::kPrevTrkIncmpl)) e.push_back(kPrevTrkIncmpl);
  if (is_code(out, arch::sgx::kMacCompareFail)) e.push_back(kMacCompareFail);
  if (is_code(out, arch::sgx::kVaSlotOccupied)) e.push_back(kVaSlotOccupied);
  if (is_code(out, arch::sgx::kEpcPageConflict)) e.push_back(kEpcPageConflict);
  switch (op.leaf) {
    case Leaf::kLoad:
    case Leaf::kStore:
    case Leaf::kFetch:
      access_events(s, op, out, e);
      break;
    case Leaf::kEaccept: {
      const auto& a = std::get<arch::AcceptOp<C>>(op.args);
      const arch::Cpu<C>& c = s.cpu[size_t(a.cpu)];
      if (!ok(out) || a.page >= int64_t(s.sz.pages)) break;
      const arch::Pte<C>& p = s.pte[size_t(c.space)][size_t(a.page)];
      if (p.present && p.slot < int64_t(s.sz.slots) && s.epcm[size_t(p.slot)].pr)
        e.push_back(kAcceptAfterEmodpr);
      break;
    }
    case Leaf::kEacceptcopy:
      if (ok(out)) e.push_back(kAcceptcopySuccess);
      break;
    case Leaf::kEldb:
    case Leaf::kEldu:
      if (ok(out)) e.push_back(kEldSuccess);
      if (is_code(out, arch::sgx::kMacCompareFail)) mac_events(s, op, e);
      break;
    case Leaf::kEinit:
      if (ok(out)) e.push_back(kEinitSuccess);
      if (is_code(out, arch::sgx::kInvalidMeasurement)) e.push_back(kEinitMeasurement);
      break;
    case Leaf::kEreport: {
      const auto& a = std::get<arch::EreportOp<C>>(op.args);
      if (!ok(out)) break;
      if (out.value == s.cpu[size_t(a.cpu)].secs) {
        e.push_back(kEreportOwnKey);
      } else if (out.value < int64_t(s.sz.slots)) {
        e.push_back(kEreportOtherKey);
      }
      break;
    }
    case Leaf::kEenter:
    case Leaf::kEresume: {
      const int64_t cpu = model::test::op_cpu(op);
      if (ok(out) && s.cpu[size_t(cpu)].space != 0) e.push_back(kOtherSpaceEntry);
      break;
    }
    default:
      break;
  }
  return e;
}

std::vector<Event> overlap_events(const State& before, const model::test::OverlapOp& op,
                                  const model::test::OverlapOutcome& out) {
  const C d;
  State s = before;
  model::test::apply_phase(d, s, op.parked, true);
  std::vector<Event> e = events(s, op.other, out.other);
  const int64_t cpu = model::test::op_cpu(op.parked);
  if (s.cpu[size_t(cpu)].flight.leaf == arch::flight::kNone) return e;
  // Whether the parked leaf's locks changed what the other got.
  State alone = s;
  alone.cpu[size_t(cpu)].flight = arch::no_flight(d, s.sz);
  if (model::test::apply(d, alone, op.other) == out.other) return e;

  const Leaf p = op.parked.leaf, o = op.other.leaf;
  const auto va_of = [](const Op& x) {
    return std::visit(
        [](const auto& a) -> std::pair<int64_t, int64_t> {
          if constexpr (requires { a.va_index; }) {
            return {a.va, a.va_index};
          } else {
            return {-1, -1};
          }
        },
        x.args);
  };
  using enum Leaf;
  if (is_one_of(p, {kEwb, kEldb, kEldu}) && is_one_of(o, {kEwb, kEldb, kEldu}) &&
      va_of(op.parked) == va_of(op.other)) {
    e.push_back(kLockVaSlot);
  } else if (p == kEtrack && is_one_of(o, {kEwb, kEtrack})) {
    e.push_back(kLockTracking);
  } else if (is_one_of(p, {kEadd, kEextend, kEinit}) && is_one_of(o, {kEadd, kEextend, kEinit})) {
    e.push_back(kLockMeasurement);
  } else if (is_one_of(p, {kEmodpr, kEmodt, kEaccept, kEacceptcopy, kEmodpe}) &&
             is_one_of(o, {kEmodpr, kEmodt, kEaccept, kEacceptcopy, kEmodpe})) {
    e.push_back(kLockSgx2);
  } else {
    e.push_back(kLockPage);
  }
  return e;
}

std::string Coverage::report() const {
  std::string r;
  char line[128];
  for (int e = 0; e < kEventCount; ++e) {
    std::snprintf(line, sizeof line, "  %-28s %8llu commands in %6llu test cases\n",
                  kEventNames[e], static_cast<unsigned long long>(commands_[size_t(e)]),
                  static_cast<unsigned long long>(cases_[size_t(e)]));
    r += line;
  }
  return r;
}

}  // namespace sgxref::conformance
