// Conformance of the driver (impl/driver) with the user-space model (model/uapi): random
// sequences of the SGX2 ioctls (valid and malformed), the test enclave's operations from
// two threads (entered, and resumed after an exception), one reclaim batch, and every
// page written out (the SECS after its children), run on the driver beside the model.
// After every command the return value, `count` and `result`, or the operation's end (its
// value, or the exception's vector, error code and address), must be the model's; and
// the driver's own state must agree with the model's: its page records (type,
// vm_max_prot_bits), and for every resident page its EPCM entry and bytes, each TCS's
// CSSA; and the EPC accounted for (D5: every page free or held, the groups charged for
// exactly those, every resident page on an LRU). At the end of a case every page is
// loaded back and compared whole, then the enclaves are released and every EPC page,
// charge and enclave must be gone (D5). Reclaim exists only on the driver's side, so
// every case is also a test of its transparency.
//
// The fault properties (UapiFaults) run the same commands with impl/kernel's failure
// points switched on at random during three calls in four (injected_faults.h says what
// each failure may answer and leave).
//
// A failure prints RapidCheck's seed and a RC_PARAMS="reproduce=..." line that replays
// the minimal sequence, and the sequence itself: paste it into a test under
// props/regressions (uapi_conformance_test.cc). Each state in uapi_coverage.h must be
// reached in at least kMinCases test cases (kMinFaultCases in the fault properties).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <optional>
#include <vector>
#include <ostream>
#include <string>

#include "conformance/budget.h"
#include "uapi/enclave_ops.h"
#include "uapi/enclave_state.h"
#include "uapi/mapping.h"
#include "uapi/process.h"
#include "uapi/sgx2_ioctls.h"
#include "uapi_conformance/driver_world.h"
#include "uapi_conformance/injected_faults.h"
#include "uapi_conformance/reclaim_command.h"
#include "uapi_conformance/uapi_coverage.h"
#include "uapi_conformance/uapi_describe.h"
#include "uapi_conformance/uapi_generators.h"
#include "user/test_encl.h"

namespace sgxref::props {
namespace {

constexpr int kCiCases = 4000;
// The fault properties' cases: each failure point fails in a few hundred of them.
constexpr int kFaultCiCases = 1000;
constexpr int kMaxCommands = 68;
constexpr uint64_t kMinCases = 50;
// The fault properties' floor, of their kFaultCiCases.
constexpr uint64_t kMinFaultCases = 20;
// The running enclave holds 37 EPC pages with its SECS and VA page, 66 once every hole
// is EAUGed.
constexpr uint64_t kGroupLimit = 38;

using Model = mu::Process;
constexpr uint64_t kPage = mu::kPage;

// The coverage of the property running (each test starts its own).
UapiCoverage& coverage() {
  static UapiCoverage c;
  return c;
}

// Whether the property running draws failures for its calls (the fault properties).
bool& under_faults() {
  static bool on = false;
  return on;
}
FaultDraw draw_faults() { return under_faults() ? some_fault_draw() : FaultDraw{}; }

// The driver and the model state its last command should have left. Commands run from
// that state, not from the one RapidCheck's `apply` chain gives them (which draws
// their arguments): an answer the model allows rather than gives (a walk stopped at the
// group's limit, or by an injected failure) leaves a state `apply` cannot know.
struct Harness {
  explicit Harness(uint64_t group_limit) : world(group_limit) {}
  kernel::Kernel& kernel() { return world.fixture().kernel(); }
  DriverWorld world;
  Model expected;
};

// What a failure drawn for a call did: nothing (its point never failed), nothing the
// caller sees, or an answer that only the failure explains.
void note_fault(const FaultDraw& d, bool fired, bool explained) {
  if (!fired) return;
  coverage().note(std::string(d.name()) + (explained ? ": a call stopped" : ": absorbed"));
}

uint64_t pages_of(const Model& m) { return (m.enclave.size - m.enclave.first) / kPage; }

// A page index of the modelled part: three times in four from the few pages around the
// end of the heap, where changes pile up on the same pages.
uint64_t some_index(const Model& m) {
  constexpr uint64_t kHot = DriverWorld::kHeapPages - 4;
  if (pick(0, 4) != 0) return kHot + pick<uint64_t>(0, 8);
  return pick<uint64_t>(0, pages_of(m));
}

uint64_t some_page(const Model& m) { return m.enclave.first + some_index(m) * kPage; }

// The offsets of the pages that satisfy `want`, given the page and its VMA's rights.
template <class Want>
std::vector<uint64_t> pages_where(const Model& m, Want want) {
  std::vector<uint64_t> out;
  for (const auto& [off, p] : m.enclave.pages) {
    if (want(p, m.enclave.mapped_rights(off))) out.push_back(off);
  }
  return out;
}

// Half of the time one of `candidates` (when there is one), so the steps of a flow meet
// on the same page; otherwise `fallback`.
uint64_t one_of_or(const std::vector<uint64_t>& candidates, uint64_t fallback) {
  if (candidates.empty() || pick(0, 2) == 0) return fallback;
  return candidates[pick<size_t>(0, candidates.size())];
}

// A range of one to five pages in the modelled part of ELRANGE, one in three malformed
// in one of the ways Linux's checks refuse (or, for REMOVE's absent `result`, ignore).
mu::Sgx2Args some_args(const Model& m, uint64_t mode, uint64_t start) {
  const uint64_t k = (start - m.enclave.first) / kPage;
  const uint64_t n = pick<uint64_t>(1, std::min<uint64_t>(5, pages_of(m) - k) + 1);
  mu::Sgx2Args a{m.enclave.first + k * kPage, n * kPage, mode, 0, 0, false};
  switch (pick(0, 24)) {
    case 0: a.offset += 8; break;
    case 1: a.length = 0; break;
    case 2: a.length += kPage / 2; break;
    case 3: a.offset = m.enclave.size; a.length = kPage; break;
    case 4: a.length = ~(kPage - 1); break;
    case 5: a.count = kPage; break;
    case 6: a.result = 1; break;
    case 7: a.bad_pointer = true; break;
    default: break;
  }
  return a;
}

// The driver's state against the model's after a command; the command's own comparison
// first.
void expect_state(Harness& h, const Model& next) {
  h.expected = next;
  const std::string d = h.world.differences(next.enclave, next.build);
  if (!d.empty()) RC_FAIL("state differs from the model's:\n" + d);
}

// A command whose whole answer is a return value: run on the model from `m` and on
// the driver (with the failures `faults` draws), the two compared, then the driver's
// state. A failure may explain a refusal that changed nothing, where `refusal` allows it.
// The driver's answer.
template <class OnModel, class OnDriver>
long expect_same_return(const char* what, const Model& m, Harness& h, OnModel on_model,
                        OnDriver on_driver, const FaultDraw& faults = {},
                        bool (*refusal)(kernel::FailPoint, long) = nullptr) {
  Model next = m;
  long want = on_model(next);
  long got = 0;
  const bool fired = faults.during(h.kernel(), [&] { got = on_driver(); });
  const bool explained = got != want && fired && refusal != nullptr && refusal(faults.point, got);
  note_fault(faults, fired, explained);
  if (explained) {
    want = got;
    next = m;
  }
  if (got != want) {
    RC_FAIL(std::string(what) + ": driver " + std::to_string(got) + ", model " +
            std::to_string(want));
  }
  expect_state(h, next);
  return got;
}

struct Sgx2Ioctl : rc::state::Command<Model, Harness> {
  DriverWorld::Sgx2 which;
  mu::Sgx2Args args;
  FaultDraw faults;

  // (One generator after another: the order of a call's arguments is the compiler's.)
  explicit Sgx2Ioctl(const Model& m) : which(some_ioctl()) {
    uint64_t how = mode(which);
    uint64_t at = start(m, which);
    // Half of the MODIFY_TYPES calls make a TCS of a page INIT_TCS_PAGE wrote, if any.
    const std::vector<uint64_t> written = pages_where(m, [](const mu::Page& p, uint8_t) {
      return p.type == mu::pt::kReg && p.word(32) == user::test_encl::kDynEntry;
    });
    if (which == DriverWorld::Sgx2::kModifyTypes && !written.empty() && pick(0, 2) == 0) {
      how = uint64_t(mu::pt::kTcs);
      at = written[pick<size_t>(0, written.size())];
    }
    args = some_args(m, how, at);
    faults = draw_faults();
  }

  // Where the range starts: REMOVE half of the time at a TRIM page, so that whole flows
  // happen.
  static uint64_t start(const Model& m, DriverWorld::Sgx2 w) {
    if (w == DriverWorld::Sgx2::kRemove) {
      const auto trim = [](const mu::Page& p, uint8_t) { return p.type == mu::pt::kTrim; };
      return one_of_or(pages_where(m, trim), some_page(m));
    }
    return some_page(m);
  }

  static DriverWorld::Sgx2 some_ioctl() {
    return *rc::gen::element(DriverWorld::Sgx2::kRestrict, DriverWorld::Sgx2::kModifyTypes,
                             DriverWorld::Sgx2::kRemove);
  }
  // RESTRICT: any RWX combination (W without R refused), rarely a bit beyond; MODIFY:
  // TRIM or TCS, rarely REG or a type wider than 8 bits.
  static uint64_t mode(DriverWorld::Sgx2 w) {
    if (w == DriverWorld::Sgx2::kRestrict) {
      return *rc::gen::weightedOneOf<uint64_t>(
          {{12, uniform<uint64_t>(0, 8)}, {1, rc::gen::element<uint64_t>(8, 0x18)}});
    }
    if (w == DriverWorld::Sgx2::kModifyTypes) {
      return *rc::gen::weightedElement<uint64_t>(
          {{8, uint64_t(mu::pt::kTrim)}, {4, uint64_t(mu::pt::kTcs)}, {1, uint64_t(mu::pt::kReg)},
           {1, 0x100 | uint64_t(mu::pt::kTrim)}});
    }
    return 0;
  }

  void apply(Model& m) const override { (void)DriverWorld::on_model(m.enclave, which, args); }

  void run(const Model&, Harness& h) const override {
    const Model m = h.expected;
    Model next = m;
    mu::IoctlOutcome want = DriverWorld::on_model(next.enclave, which, args);
    mu::IoctlOutcome got;
    const bool fired = faults.during(h.kernel(), [&] { got = h.world.ioctl(0, which, args); });
    // At the group's limit a page the walk must load back may get no EPC page (the charge
    // is -EBUSY, and queues ksgxd's work): the walk stops there with -EAGAIN, as at a
    // page the reclaimer holds marked. Allowed only where the page was not resident.
    const bool stopped_at = got.ret == mu::err::kAgain && got.count % kPage == 0 &&
                            got.count < args.length;
    if (!(got == want) && h.world.limited() && stopped_at &&
        !h.world.resident(args.offset + got.count)) {
      Model at_limit = m;
      want = DriverWorld::on_model(at_limit.enclave, which, args, {got.count, true});
      next = std::move(at_limit);
      if (got == want) coverage().note("SGX2 ioctl -EAGAIN at the group's limit");
    }
    std::optional<Model> stopped;
    if (!(got == want) && fired) stopped = fault_answers::sgx2_stopped(faults.point, m, which, args, got);
    note_fault(faults, fired, stopped.has_value());
    if (stopped) {
      want = got;
      next = std::move(*stopped);
    }
    if (!(got == want)) RC_FAIL("driver " + describe(got) + ", model " + describe(want));
    expect_state(h, next);
    if (which == DriverWorld::Sgx2::kRemove && got.count > 0) coverage().note("page removed");
    if (which == DriverWorld::Sgx2::kModifyTypes && args.mode == uint64_t(mu::pt::kTcs) &&
        got.count > 0) {
      coverage().note("REG made TCS");
    }
  }

  void show(std::ostream& os) const override {
    os << (which == DriverWorld::Sgx2::kRestrict      ? "Ioctl{RESTRICT_PERMISSIONS "
           : which == DriverWorld::Sgx2::kModifyTypes ? "Ioctl{MODIFY_TYPES "
                                                      : "Ioctl{REMOVE_PAGES ");
    show_args(os, args);
    os << "}" << faults;
  }
};

// A thread an exception stopped can only go on once its page is fixed, so while one is
// stopped, half of the operations work on its page (an EACCEPT or EMODPE there is what
// lets it resume); the others lean towards the pages where something can happen.
mu::EnclaveOp some_op(const Model& m) {
  using K = mu::EnclaveOp::Kind;
  const K kind = *rc::gen::weightedElement<K>(
      {{3, K::kLoad},
       {3, K::kStore},
       {4, K::kEaccept},
       {1, K::kEacceptCopy},
       {1, K::kEmodpe},
       {2, K::kInitTcs}});
  // Loads and stores half of the time on a page a change made unusual, INIT_TCS_PAGE on
  // a page it can write.
  uint64_t page = some_page(m);
  if (kind == K::kLoad || kind == K::kStore) {
    // A TCS mapped RWX first: its mapping is wider than a TCS may have.
    page = one_of_or(
        pages_where(m,
                    [](const mu::Page& p, uint8_t vma) {
                      return p.type == mu::pt::kTcs && vma == mu::prot::kRwx;
                    }),
        one_of_or(pages_where(m, [](const mu::Page& p, uint8_t) { return p.type != mu::pt::kReg; }),
                  page));
  } else if (kind == K::kInitTcs) {
    // A page it can write, preferably one mapped RWX: as a TCS its mapping is too wide.
    page = one_of_or(pages_where(m,
                                 [](const mu::Page& p, uint8_t vma) {
                                   return p.type == mu::pt::kReg && !p.pending && !p.modified &&
                                          (p.rights & mu::prot::kW) && vma == mu::prot::kRwx;
                                 }),
                     one_of_or(pages_where(m,
                                           [](const mu::Page& p, uint8_t) {
                                             return p.type == mu::pt::kReg && !p.pending &&
                                                    !p.modified && (p.rights & mu::prot::kW);
                                           }),
                               page));
  }
  if (!m.enclave.stopped.empty() && pick(0, 2) == 0) {
    auto it = m.enclave.stopped.begin();
    std::advance(it, pick<size_t>(0, m.enclave.stopped.size()));
    const mu::EnclaveOp& stuck = it->second;
    page = stuck.offset - stuck.offset % kPage;
  }
  switch (kind) {
    case K::kLoad:
    case K::kStore: {
      const uint64_t word = *rc::gen::weightedOneOf<uint64_t>(
          {{3, rc::gen::element<uint64_t>(0, 1, 3, 9, 511)}, {1, uniform<uint64_t>(0, 512)}});
      return {kind, page + 8 * word, kind == K::kStore ? *rc::gen::arbitrary<uint64_t>() : 0};
    }
    case K::kEaccept: {
      // Half of the time a page with a change to accept, EMODT's first.
      const uint64_t at = one_of_or(
          pages_where(m, [](const mu::Page& p, uint8_t) { return p.modified; }),
          one_of_or(pages_where(m, [](const mu::Page& p, uint8_t) { return p.pending || p.pr; }),
                    page));
      const auto it = m.enclave.pages.find(at);
      return {kind, at, some_accept_flags(it == m.enclave.pages.end() ? nullptr : &it->second)};
    }
    case K::kEacceptCopy: {
      // Half of the time into a page EAUG gave, from a page the enclave can read; the
      // rights now and then W alone (#GP), the type now and then not REG (#GP).
      const uint64_t to = one_of_or(
          pages_where(m, [](const mu::Page& p, uint8_t) { return p.pending; }), page);
      const uint64_t from = one_of_or(pages_where(m,
                                                  [](const mu::Page& p, uint8_t vma) {
                                                    return p.type == mu::pt::kReg && !p.pending &&
                                                           !p.modified &&
                                                           (p.rights & mu::prot::kR) && vma != 0;
                                                  }),
                                      some_page(m));
      const uint64_t rights = *rc::gen::weightedElement<uint64_t>(
          {{2, mu::prot::kR}, {3, mu::prot::kRw}, {2, mu::prot::kRwx}, {1, mu::prot::kW}});
      const int64_t type = pick(0, 12) == 0 ? mu::pt::kTcs : mu::pt::kReg;
      mu::EnclaveOp op{kind, to, mu::secinfo::type(type) | rights};
      op.source = from;
      return op;
    }
    case K::kEmodpe:
      return {kind, page, pick<uint64_t>(0, 8)};
    case K::kInitTcs:
      // Its SSA frame: the page after it, as the selftests' tcs_create lays them out.
      return {kind, page, page + kPage, user::test_encl::kDynEntry};
  }
  return {};
}

// A thread that is not stopped, nine times in ten when there is one.
int some_free_thread(const Model& m) {
  std::vector<int> free;
  for (int t = 0; t < DriverWorld::kThreads; ++t) {
    if (m.enclave.stopped.count(DriverWorld::tcs(t)) == 0) free.push_back(t);
  }
  if (free.empty() || pick(0, 10) == 0) return pick(0, DriverWorld::kThreads);
  return free[size_t(pick<size_t>(0, free.size()))];
}

// A stopped thread, nine times in ten when there is one.
int some_stopped_thread(const Model& m) {
  if (m.enclave.stopped.empty() || pick(0, 10) == 0) return pick(0, DriverWorld::kThreads);
  auto it = m.enclave.stopped.begin();
  std::advance(it, pick<size_t>(0, m.enclave.stopped.size()));
  for (int t = 0; t < DriverWorld::kThreads; ++t) {
    if (DriverWorld::tcs(t) == it->first) return t;
  }
  return 0;
}

// What an operation that ran on the model state `before` shows.
void note_op(const Model& before, const mu::EnclaveOp& op, const mu::OpOutcome& out) {
  using K = mu::EnclaveOp::Kind;
  const uint64_t page = op.offset - op.offset % kPage;
  const bool write = op.kind == K::kStore || op.kind == K::kInitTcs;
  const uint8_t vma = before.enclave.mapped_rights(page);
  const bool vma_forbids = vma == 0 || (write && !(vma & mu::prot::kW));
  const bool not_present = out.vector == 14 && !(out.error_code & mu::pfec::kP);
  if (!out.exited && out.vector == 14 && before.enclave.vma_prot.count(page) == 0) {
    coverage().note("SIGSEGV: no mapping");
  } else if (!out.exited && out.vector == 14 && vma_forbids) {
    coverage().note(not_present ? "SIGSEGV: the mapping forbids, no PTE"
                                : "SIGSEGV: the mapping forbids, PTE there");
  }
  if (!out.exited && not_present && !vma_forbids && before.enclave.pages.count(page) != 0) {
    coverage().note("SIGBUS: mapped beyond max");
  }
  if (!out.exited || out.value != 0) return;
  if (op.kind == mu::EnclaveOp::Kind::kEmodpe) coverage().note("EMODPE");
  if (op.kind == mu::EnclaveOp::Kind::kEacceptCopy) coverage().note("EACCEPTCOPY of an EAUG");
  if (op.kind != mu::EnclaveOp::Kind::kEaccept) return;
  namespace si = mu::secinfo;
  const int64_t type = si::type_of(op.arg);
  if (type == mu::pt::kTrim) coverage().note("EACCEPT of a TRIM");
  if (type == mu::pt::kTcs) coverage().note("EACCEPT of a TCS");
  if (type == mu::pt::kReg && (op.arg & si::kPending)) coverage().note("EACCEPT of an EAUG");
  if (type == mu::pt::kReg && (op.arg & si::kPr)) coverage().note("EACCEPT of a restriction");
}

struct Enter : rc::state::Command<Model, Harness> {
  int thread;
  mu::EnclaveOp op;
  FaultDraw faults;

  explicit Enter(const Model& m) : thread(some_free_thread(m)), op(some_op(m)) {
    faults = draw_faults();
  }

  void apply(Model& m) const override { (void)mu::enter(m.enclave, DriverWorld::tcs(thread), op); }

  void run(const Model&, Harness& h) const override {
    const Model m = h.expected;
    Model next = m;
    const mu::OpOutcome want = mu::enter(next.enclave, DriverWorld::tcs(thread), op);
    DriverWorld::Run got;
    const bool fired = faults.during(h.kernel(), [&] { got = h.world.enter(thread, op); });
    std::optional<Model> stopped;
    if (!mu::allows(want, got.outcome) && fired) {
      stopped = fault_answers::enter_stopped(faults.point, m, op, got, h.world.base(), thread);
    }
    note_fault(faults, fired, stopped.has_value());
    if (stopped) {
      next = std::move(*stopped);
    } else if (!mu::allows(want, got.outcome)) {
      RC_FAIL("driver " + describe(got.outcome) + ", model " + describe(want));
    }
    expect_state(h, next);
    if (!stopped && m.enclave.stopped.count(DriverWorld::tcs(thread)) == 0) {
      note_op(m, op, got.outcome);
    }
  }

  void show(std::ostream& os) const override {
    os << "Eenter{#" << thread + 1 << " " << op << "}" << faults;
  }
};

struct Resume : rc::state::Command<Model, Harness> {
  int thread;
  FaultDraw faults;

  explicit Resume(const Model& m) : thread(some_stopped_thread(m)) { faults = draw_faults(); }

  void apply(Model& m) const override { (void)mu::resume(m.enclave, DriverWorld::tcs(thread)); }

  void run(const Model&, Harness& h) const override {
    const Model m = h.expected;
    Model next = m;
    const mu::OpOutcome want = mu::resume(next.enclave, DriverWorld::tcs(thread));
    DriverWorld::Run got;
    const bool fired = faults.during(h.kernel(), [&] { got = h.world.resume(thread); });
    const auto stopped = m.enclave.stopped.find(DriverWorld::tcs(thread));
    const bool still =
        !mu::allows(want, got.outcome) && fired && fault_answers::sigbus_from(faults.point) &&
        (fault_answers::at_the_door(got.outcome, h.world.base(), thread) ||
         (stopped != m.enclave.stopped.end() &&
          fault_answers::inside(stopped->second, got.outcome, h.world.base())));
    note_fault(faults, fired, still);
    if (still) {
      next = m;
    } else if (!mu::allows(want, got.outcome)) {
      RC_FAIL("driver " + describe(got.outcome) + ", model " + describe(want));
    }
    expect_state(h, next);
    if (!still && stopped != m.enclave.stopped.end()) {
      note_op(m, stopped->second, got.outcome);
      if (got.outcome.exited) coverage().note("ERESUME completed");
    }
  }

  void show(std::ostream& os) const override {
    os << "Eresume{#" << thread + 1 << "}" << faults;
  }
};

// The rights mprotect and mmap ask for: RWX most often, since it gives back what the
// others take (and is what EAUG's pages need).
uint8_t some_rights() {
  return *rc::gen::weightedElement<uint8_t>({{1, 0},
                                             {1, mu::prot::kR},
                                             {1, mu::prot::kRw},
                                             {1, mu::prot::kR | mu::prot::kX},
                                             {1, mu::prot::kW},
                                             {4, mu::prot::kRwx}});
}

// mprotect of one to five pages; the enclave's hook refuses what a page may not be
// mapped with.
struct Mprotect : rc::state::Command<Model, Harness> {
  uint64_t offset;
  uint64_t length;
  uint8_t rights = some_rights();
  FaultDraw faults = draw_faults();

  explicit Mprotect(const Model& m) : offset(some_page(m)) {
    const uint64_t most = std::min<uint64_t>(5, (m.enclave.size - offset) / kPage);
    length = pick<uint64_t>(1, most + 1) * kPage;
  }

  void apply(Model& m) const override { (void)mu::mprotect(m.enclave, offset, length, rights); }

  void run(const Model&, Harness& h) const override {
    const Model m = h.expected;
    const long got = expect_same_return(
        "mprotect", m, h,
        [&](Model& next) { return mu::mprotect(next.enclave, offset, length, rights); },
        [&] { return h.world.mprotect(offset, length, rights); }, faults);
    if (got == mu::err::kAccess) coverage().note("mprotect refused");
    if (got == mu::err::kNoMem) coverage().note("mprotect over a gap");
  }

  void show(std::ostream& os) const override {
    os << "Mprotect{offset 0x" << std::hex << offset << ", length 0x" << length << ", rights "
       << int(rights) << std::dec << "}" << faults;
  }
};

// The mapping changed: one time in three munmap of one to three pages; otherwise mmap
// with MAP_FIXED of one to five, now and then private. A refused mmap leaves a gap, so
// the mmap mostly starts at a page no VMA maps and asks for the most every page of its
// range allows, and the other commands keep meeting mapped pages.
struct Remap : rc::state::Command<Model, Harness> {
  bool unmap = pick(0, 3) == 0;
  uint64_t offset;
  uint64_t length;
  uint8_t rights;
  bool shared = pick(0, 16) != 0;
  FaultDraw faults = draw_faults();

  explicit Remap(const Model& m) {
    const mu::Enclave& e = m.enclave;
    std::vector<uint64_t> gaps;
    for (uint64_t off = e.first; off < e.size; off += kPage) {
      if (e.vma_prot.count(off) == 0) gaps.push_back(off);
    }
    // munmap anywhere in the modelled part, not mostly on the hot pages where the SGX2
    // flows build up.
    offset = unmap ? e.first + pick<uint64_t>(0, pages_of(m)) * kPage
                   : one_of_or(gaps, some_page(m));
    const uint64_t most = std::min<uint64_t>(unmap ? 3 : 5, (e.size - offset) / kPage);
    length = pick<uint64_t>(1, most + 1) * kPage;
    uint8_t allowed = mu::prot::kRwx;
    for (auto it = e.pages.lower_bound(offset); it != e.pages.end() && it->first < offset + length;
         ++it) {
      allowed &= it->second.max_prot;
    }
    rights = pick(0, 4) == 0 ? some_rights() : allowed;
  }

  long on_model(Model& m) const {
    if (unmap) return mu::munmap(m.enclave, offset, length);
    return mu::mmap(m.enclave, offset, length, rights, shared);
  }

  void apply(Model& m) const override { (void)on_model(m); }

  void run(const Model&, Harness& h) const override {
    const Model m = h.expected;
    const long got = expect_same_return(
        unmap ? "munmap" : "mmap", m, h, [&](Model& next) { return on_model(next); },
        [&] {
          return unmap ? h.world.munmap(offset, length)
                       : h.world.mmap(offset, length, rights, shared);
        },
        faults);
    if (!unmap && got == mu::err::kAccess) coverage().note("mmap refused: beyond a page's max");
  }

  void show(std::ostream& os) const override {
    os << (unmap ? "Munmap" : "Mmap") << "{offset 0x" << std::hex << offset << ", length 0x"
       << length;
    if (!unmap) os << ", rights " << int(rights) << (shared ? "" : ", private");
    os << std::dec << "}" << faults;
  }
};

// CREATE of the second enclave: mostly its SECS, with or without PROVISIONKEY,
// sometimes a wrong one.
struct BuildCreate : rc::state::Command<Model, Harness> {
  mu::SecsKind kind = *rc::gen::weightedElement<mu::SecsKind>(
      {{4, mu::SecsKind::kSigned},
       {2, mu::SecsKind::kProvisionKey},
       {1, mu::SecsKind::kBadPointer},
       {1, mu::SecsKind::kSizeNotPowerOfTwo},
       {1, mu::SecsKind::kBaseMisaligned}});
  FaultDraw faults = draw_faults();

  explicit BuildCreate(const Model&) {}

  void apply(Model& m) const override { (void)mu::create(m.build, kind); }

  void run(const Model&, Harness& h) const override {
    const Model m = h.expected;
    const long got = expect_same_return(
        "CREATE", m, h, [&](Model& next) { return mu::create(next.build, kind); },
        [&] { return h.world.build_create(kind); }, faults, fault_answers::build_refused);
    if (got != 0) coverage().note("CREATE refused");
  }

  void show(std::ostream& os) const override {
    static const char* const kNames[] = {"the signed SECS", "with PROVISIONKEY", "bad pointer",
                                         "size not a power of two", "base misaligned"};
    os << "Create{" << kNames[int(kind)] << "}" << faults;
  }
};

// ADD_PAGES to the second enclave: half of the time the next page of the build its
// SIGSTRUCT was signed for (while the build still follows it), otherwise one or two
// pages from any source with any SECINFO, one call in five malformed.
mu::AddArgs some_add(const Model& m) {
  namespace si = mu::secinfo;
  const auto& plan = m.plan;
  const auto& done = m.build.added;
  const bool on_plan = done.size() < plan.signed_for.size() &&
                       std::equal(done.begin(), done.end(), plan.signed_for.begin());
  if (on_plan && pick(0, 2) == 0) return mu::add_args_for(plan.signed_for[done.size()]);
  mu::AddArgs a;
  const uint64_t pages = pick<uint64_t>(1, 3);
  a.source = pick<uint64_t>(0, plan.sources.size() - pages + 1);
  a.offset = pick<uint64_t>(0, plan.size / kPage) * kPage;
  a.length = pages * kPage;
  a.flags = *rc::gen::weightedElement<uint64_t>(
      {{3, si::type(mu::pt::kTcs)},
       {3, si::type(mu::pt::kReg) | mu::prot::kRw},
       {1, si::type(mu::pt::kReg) | mu::prot::kR},
       {1, si::type(mu::pt::kReg) | mu::prot::kRwx},
       {1, si::type(mu::pt::kReg) | mu::prot::kW},
       {1, si::type(mu::pt::kReg) | mu::prot::kRw | si::kPending},
       {1, si::type(mu::pt::kTcs) | mu::prot::kR},
       {1, si::type(mu::pt::kTrim)}});
  a.measure = pick(0, 4) != 0;
  switch (pick(0, 15)) {
    case 0: a.bad_pointer = true; break;
    case 1: a.src_misaligned = true; break;
    case 2: a.src_unmapped = true; break;
    case 3: a.secinfo_reserved = true; break;
    default: break;
  }
  return a;
}

struct BuildAdd : rc::state::Command<Model, Harness> {
  mu::AddArgs args;
  FaultDraw faults;

  explicit BuildAdd(const Model& m) : args(some_add(m)) { faults = draw_faults(); }

  void apply(Model& m) const override { (void)mu::add_pages(m.build, m.plan, args); }

  void run(const Model&, Harness& h) const override {
    const Model m = h.expected;
    Model next = m;
    mu::IoctlOutcome want = mu::add_pages(next.build, next.plan, args);
    mu::IoctlOutcome got;
    const bool fired = faults.during(h.kernel(), [&] { got = h.world.build_add(args); });
    std::optional<Model> stopped;
    if (!(got == want) && fired) stopped = fault_answers::add_stopped(faults.point, m, args, got);
    note_fault(faults, fired, stopped.has_value());
    if (stopped) {
      want = got;
      next = std::move(*stopped);
    }
    if (!(got == want)) RC_FAIL("ADD_PAGES: driver " + describe(got) + ", model " + describe(want));
    expect_state(h, next);
    if (got.ret == -16) coverage().note("ADD_PAGES -EBUSY");
    if (got.ret == -5) coverage().note("ADD_PAGES -EIO");
    if (got.ret != 0 && got.count > 0) coverage().note("ADD_PAGES partial count");
  }

  void show(std::ostream& os) const override {
    os << "AddPages{source " << args.source << std::hex << ", offset 0x" << args.offset
       << ", length 0x" << args.length << ", flags 0x" << args.flags << std::dec
       << (args.measure ? ", measured" : "") << (args.bad_pointer ? ", bad pointer" : "")
       << (args.src_misaligned ? ", source misaligned" : "")
       << (args.src_unmapped ? ", source unmapped" : "")
       << (args.secinfo_reserved ? ", SECINFO reserved byte" : "") << "}" << faults;
  }
};

// PROVISION with /dev/sgx_provision's descriptor, rarely another or a pointer to
// nothing.
struct BuildProvision : rc::state::Command<Model, Harness> {
  bool bad_pointer = pick(0, 8) == 0;
  bool provision_file = pick(0, 6) != 0;
  FaultDraw faults = draw_faults();

  explicit BuildProvision(const Model&) {}

  void apply(Model& m) const override { (void)mu::provision(m.build, bad_pointer, provision_file); }

  void run(const Model&, Harness& h) const override {
    const Model m = h.expected;
    (void)expect_same_return(
        "PROVISION", m, h,
        [&](Model& next) { return mu::provision(next.build, bad_pointer, provision_file); },
        [&] { return h.world.build_provision(bad_pointer, provision_file); }, faults,
        fault_answers::build_refused);
  }

  void show(std::ostream& os) const override {
    os << "Provision{" << (bad_pointer ? "bad pointer" : provision_file ? "" : "another file")
       << "}" << faults;
  }
};

// INIT: three times in four the SIGSTRUCT signed for the SECS CREATE took (the plan's,
// with or without PROVISIONKEY), otherwise the other one; rarely a bad vendor or a
// pointer to nothing.
mu::InitArgs some_init(const Model& m) {
  mu::InitArgs a;
  a.bad_pointer = pick(0, 10) == 0;
  a.bad_vendor = pick(0, 10) == 0;
  a.provision_key = pick(0, 4) != 0 ? m.build.provision_key : !m.build.provision_key;
  if (pick(0, 8) == 0) a.reserved = mu::ReservedAsked(pick(1, 4));
  return a;
}

struct BuildInit : rc::state::Command<Model, Harness> {
  mu::InitArgs args;
  FaultDraw faults;

  explicit BuildInit(const Model& m) : args(some_init(m)) { faults = draw_faults(); }

  void apply(Model& m) const override { (void)mu::init(m.build, m.plan, args); }

  void run(const Model&, Harness& h) const override {
    const Model m = h.expected;
    const long got = expect_same_return(
        "INIT", m, h, [&](Model& next) { return mu::init(next.build, next.plan, args); },
        [&] { return h.world.build_init(args); }, faults, fault_answers::build_refused);
    if (got == 0) coverage().note("enclave built and initialized");
    if (got == 0 && args.provision_key) coverage().note("initialized with PROVISIONKEY");
    if (got == mu::err::kPerm) coverage().note("INIT refused: not built as signed");
    if (got == mu::err::kAccess) coverage().note("INIT refused: PROVISIONKEY not allowed");
    if (got == mu::err::kInval && args.reserved != mu::ReservedAsked::kNone && !args.bad_vendor) {
      coverage().note("INIT refused: a reserved bit asked for");
    }
  }

  void show(std::ostream& os) const override {
    os << "Init{" << (args.bad_pointer ? "bad pointer, " : "")
       << (args.bad_vendor ? "bad vendor, " : "")
       << (args.reserved == mu::ReservedAsked::kNone ? ""
           : args.reserved == mu::ReservedAsked::kAttributes ? "a reserved ATTRIBUTES bit, "
           : args.reserved == mu::ReservedAsked::kMiscselect ? "a reserved MISCSELECT bit, "
                                                             : "a reserved XFRM bit, ")
       << (args.provision_key ? "signed with PROVISIONKEY" : "signed without") << "}" << faults;
  }
};

// Reclaim, invisible to the model.
using Reclaim = ReclaimCommand<Model, Harness>;

// Reclaim with a failure drawn: the backing store's page above all, for which Linux's
// reclaimer puts the page back on the LRU. Still invisible.
struct ReclaimUnderFaults : Reclaim {
  FaultDraw faults = draw_faults();

  explicit ReclaimUnderFaults(const Model& m) : Reclaim(m) {}

  void run(const Model&, Harness& h) const override {
    const Model m = h.expected;
    note_fault(faults, faults.during(h.kernel(), [&] { Reclaim::run(m, h); }), false);
  }

  void show(std::ostream& os) const override {
    Reclaim::show(os);
    os << faults;
  }
};

// One property: cases of commands drawn by `Commands` on a fresh process, the driver's
// state compared whole at the end of each and after the enclaves' release, then every
// required state reached in kMinCases cases.
template <class... Commands>
void check_property(const char* name, std::vector<std::string> required, bool limits,
                    bool faults = false) {
  under_faults() = faults;
  const std::string budget =
      conformance::set_budget(faults ? kFaultCiCases : kCiCases, kMaxCommands);
  std::printf("%s: RC_PARAMS=\"%s\"\n", name, budget.c_str());
  coverage() = UapiCoverage(std::move(required));
  const bool ok = rc::check(name, [limits] {
    // One case in three with the process's group limited below what the enclave holds
    // once its holes fill, so that faults wait for the group's reclaim.
    const uint64_t limit =
        limits ? *rc::gen::weightedElement<uint64_t>({{2, driver::kNoLimit}, {1, kGroupLimit}})
               : driver::kNoLimit;
    Harness h(limit);
    const uint64_t events = h.world.group().events_local();
    h.expected = {h.world.initial_model(), {}, h.world.build_plan()};
    rc::state::check(h.expected, h, rc::state::gen::execOneOfWithArgs<Commands...>());
    const std::string d = h.world.final_differences(h.expected.enclave, h.expected.build);
    if (!d.empty()) RC_FAIL("after loading every page back:\n" + d);
    const std::string left = h.world.teardown_differences();
    if (!left.empty()) RC_FAIL("after the enclaves' release:\n" + left);
    const Reached& r = h.world.reached();
    if (r.eldu_on_fault) coverage().note("ELDU on fault");
    if (r.secs_reload) coverage().note("SECS reloaded on fault");
    if (r.eaug_fault) coverage().note("EAUG on fault");
    if (r.partial_count) coverage().note("partial count");
    if (limit != driver::kNoLimit && h.world.group().events_local() > events) {
      coverage().note("a charge refused at the group's limit");
    }
    if (h.world.ksgxd_steps() > 0) coverage().note("a fault waited for the group's reclaim");
    coverage().end_case();
  });
  std::printf("%s coverage:\n%s", name, coverage().report().c_str());
  EXPECT_TRUE(ok);
  for (const std::string& e : coverage().required()) {
    EXPECT_GE(coverage().cases(e), faults ? kMinFaultCases : kMinCases) << e << " too rare";
  }
}

// The initialized enclave's run: the SGX2 ioctls, its threads, mprotect, munmap, mmap,
// reclaim.
TEST(UapiConformance, DriverFollowsModel) {
  check_property<Sgx2Ioctl, Sgx2Ioctl, Enter, Enter, Enter, Resume, Mprotect, Remap, Reclaim>(
      "the driver follows model/uapi", UapiCoverage::running(), true);
}

// The second enclave's build (with PROVISION), with reclaim between the steps.
TEST(UapiConformance, BuildFollowsModel) {
  check_property<BuildCreate, BuildAdd, BuildAdd, BuildAdd, BuildProvision, BuildInit, Reclaim>(
      "the build follows model/uapi", UapiCoverage::building(), false);
}

// The fault properties: the same runs, with one of impl/kernel's failure points failing
// now and then during three calls in four (injected_faults.h). A call must answer as
// Linux does to that failure and leave what the model has after the part done before
// it; at the end every page loads back with the model's bytes, and the release frees
// every EPC page, charge and enclave, with no WARN.
TEST(UapiFaults, DriverUnderInjectedFailuresFollowsModel) {
  check_property<Sgx2Ioctl, Sgx2Ioctl, Enter, Enter, Enter, Resume, Mprotect, Remap,
                 ReclaimUnderFaults>("the driver under injected failures follows model/uapi",
                                     UapiCoverage::running_under_faults(), true, true);
}

TEST(UapiFaults, BuildUnderInjectedFailuresFollowsModel) {
  check_property<BuildCreate, BuildAdd, BuildAdd, BuildAdd, BuildProvision, BuildInit,
                 ReclaimUnderFaults>("the build under injected failures follows model/uapi",
                                     UapiCoverage::building_under_faults(), false, true);
}

}  // namespace
}  // namespace sgxref::props
