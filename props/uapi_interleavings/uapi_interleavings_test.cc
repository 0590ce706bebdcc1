// Interleavings of the driver (impl/driver) against the user-space model (model/uapi):
// three workers, each with its own TCS and pages, run SGX2 ioctls, enclave operations
// and mprotect while a reclaimer writes pages out, all under impl/sched's random or PCT
// strategy (interleaving_run.h says what is checked, and when). A case is drawn whole
// before it runs, its schedule seed with it, so RapidCheck shrinks commands and seed
// together and every shrunk case replays exactly.
//
// A failure prints RapidCheck's seed, a RC_PARAMS="reproduce=..." line and the case:
// paste the case into a test under props/regressions. Each state in kRequired must be
// reached in at least kMinCases test cases.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/budget.h"
#include "uapi/enclave_ops.h"
#include "uapi/mapping.h"
#include "uapi_conformance/driver_world.h"
#include "uapi_conformance/uapi_coverage.h"
#include "uapi_conformance/uapi_generators.h"
#include "uapi_interleavings/interleaved_case.h"
#include "uapi_interleavings/interleaving_run.h"

namespace sgxref::props {
namespace {

constexpr int kCiCases = 500;
constexpr int kMaxCommands = 10;  // per worker
constexpr uint64_t kMinCases = 50;
constexpr uint64_t kPage = mu::kPage;
// The group's limits, against the 37 pages the built enclave holds: below them (every
// charge waits for the group's reclaim first) and a little above. Each leaves more than
// a batch of pages on the group's LRU, so that a charge never finds it empty while one
// batch runs. Two batches at once can empty it: that is Linux v16's transient -ENOMEM,
// a SIGBUS for the fault (docs/epc-accounting.md), which model/uapi does not allow yet
// (the fault may come after the operation took effect, say at a code fetch after an
// EACCEPT, and the model's stopped thread runs its whole operation again). The SGX2
// ioctls reclaim directly at the limit, a batch each, so cases with a limit have none.
constexpr uint64_t kLimitBelow = 28;
constexpr uint64_t kLimitAbove = 40;

using K = WorkerCommand::Kind;

// One of the worker's pages; half of the time one where `want` holds, if any.
template <class Want>
uint64_t own_page(const mu::Enclave& m, const Territory& t, Want want) {
  std::vector<uint64_t> fit;
  for (uint64_t off : t.pages) {
    const auto it = m.pages.find(off);
    if (it != m.pages.end() && want(it->second)) fit.push_back(off);
  }
  if (!fit.empty() && pick(0, 2) == 0) return fit[pick<size_t>(0, fit.size())];
  return t.pages[pick<size_t>(0, t.pages.size())];
}

// An SGX2 ioctl over one or two of the worker's pages (a run of two starts at an even
// index), one in eight malformed: the checks come before the IOCTL bit is looked at
// only in the -EBUSY answer, so those meet it as well.
WorkerCommand some_ioctl(const mu::Enclave& m, const Territory& t) {
  WorkerCommand c;
  c.kind = K::kIoctl;
  c.which = *rc::gen::element(DriverWorld::Sgx2::kRestrict, DriverWorld::Sgx2::kModifyTypes,
                              DriverWorld::Sgx2::kRemove);
  uint64_t start = 0;
  switch (c.which) {
    case DriverWorld::Sgx2::kRestrict:
      c.args.mode = *rc::gen::weightedElement<uint64_t>(
          {{4, mu::prot::kR}, {2, 0}, {2, mu::prot::kRw}, {1, mu::prot::kR | mu::prot::kX}});
      start = own_page(m, t, [](const mu::Page& p) { return p.type == mu::pt::kReg; });
      break;
    case DriverWorld::Sgx2::kModifyTypes:
      c.args.mode = uint64_t(mu::pt::kTrim);
      start = own_page(m, t, [](const mu::Page& p) { return p.type == mu::pt::kReg; });
      break;
    case DriverWorld::Sgx2::kRemove:
      start = own_page(m, t, [](const mu::Page& p) { return p.type == mu::pt::kTrim; });
      break;
  }
  const bool first_of_two = ((start - t.pages.front()) / kPage) % 2 == 0;
  c.args.offset = start;
  c.args.length = (first_of_two && pick(0, 2) == 0 ? 2 : 1) * kPage;
  switch (pick(0, 16)) {
    case 0: c.args.bad_pointer = true; break;
    case 1: c.args.count = kPage; break;
    default: break;
  }
  return c;
}

// An operation on the worker's pages: half of the EACCEPTs where there is a change to
// accept, with the flags it asks for three times in four; EACCEPTCOPY between two of
// them.
WorkerCommand some_enter(const mu::Enclave& m, const Territory& t) {
  using OK = mu::EnclaveOp::Kind;
  WorkerCommand c;
  c.kind = K::kEnter;
  c.op.kind = *rc::gen::weightedElement<OK>(
      {{2, OK::kLoad}, {3, OK::kStore}, {4, OK::kEaccept}, {1, OK::kEacceptCopy}, {1, OK::kEmodpe}});
  switch (c.op.kind) {
    case OK::kLoad:
    case OK::kStore:
      c.op.offset = own_page(m, t, [](const mu::Page&) { return true; }) +
                    8 * *rc::gen::element<uint64_t>(0, 1, 511);
      if (c.op.kind == OK::kStore) c.op.arg = *rc::gen::arbitrary<uint64_t>();
      break;
    case OK::kEaccept: {
      c.op.offset =
          own_page(m, t, [](const mu::Page& p) { return p.pending || p.modified || p.pr; });
      const auto it = m.pages.find(c.op.offset);
      c.op.arg = some_accept_flags(it == m.pages.end() ? nullptr : &it->second);
      break;
    }
    case OK::kEacceptCopy:
      c.op.offset = own_page(m, t, [](const mu::Page& p) { return p.pending; });
      c.op.source = own_page(m, t, [](const mu::Page& p) { return !p.pending; });
      c.op.arg = mu::secinfo::type(mu::pt::kReg) | pick<uint64_t>(0, 8);
      break;
    case OK::kEmodpe:
      c.op.offset = own_page(m, t, [](const mu::Page& p) { return p.rights != mu::prot::kRw; });
      c.op.arg = pick<uint64_t>(0, 8);
      break;
    case OK::kInitTcs: break;
  }
  return c;
}

// mprotect of one of the worker's pages: RWX most often, which gives back what the
// others take.
WorkerCommand some_mprotect(const Territory& t) {
  WorkerCommand c;
  c.kind = K::kMprotect;
  c.offset = t.pages[pick<size_t>(0, t.pages.size())];
  c.length = kPage;
  c.rights = *rc::gen::weightedElement<uint8_t>(
      {{1, 0}, {1, mu::prot::kR}, {1, mu::prot::kRw}, {4, mu::prot::kRwx}});
  return c;
}

// A worker's commands, drawn against the model as its own commands alone would leave
// it (the others' cannot touch its pages; what the driver answers at run time may
// still differ, an -EBUSY say, and the later commands then test other states).
std::vector<WorkerCommand> some_worker(const mu::Enclave& initial, int w, bool ioctls) {
  const Territory t = territory(initial, w);
  const uint64_t tcs = DriverWorld::tcs(w);
  mu::Enclave m = initial;
  std::vector<WorkerCommand> out(pick<size_t>(1, kMaxCommands + 1));
  for (WorkerCommand& c : out) {
    const bool stopped = m.stopped.count(tcs) != 0;
    const K kind = *rc::gen::weightedElement<K>(
        {{ioctls ? 9u : 0u, K::kIoctl}, {stopped ? 1u : 6u, K::kEnter}, {stopped ? 4u : 1u, K::kResume},
         {1, K::kMprotect}});
    switch (kind) {
      case K::kIoctl:
        c = some_ioctl(m, t);
        (void)DriverWorld::on_model(m, c.which, c.args);
        break;
      case K::kEnter:
        c = some_enter(m, t);
        (void)mu::enter(m, tcs, c.op);
        break;
      case K::kResume:
        c.kind = K::kResume;
        (void)mu::resume(m, tcs);
        break;
      case K::kMprotect:
        c = some_mprotect(t);
        (void)mu::mprotect(m, c.offset, c.length, c.rights);
        break;
    }
  }
  return out;
}

rc::Gen<InterleavedCase> some_case(const mu::Enclave& initial, uint64_t limit) {
  return rc::gen::exec([initial, limit] {
    InterleavedCase c;
    c.limit = limit;
    c.pct = *rc::gen::arbitrary<bool>();
    c.depth = pick(2, 4);
    c.seed = *rc::gen::arbitrary<uint64_t>();
    for (int w = 0; w < kWorkers; ++w) {
      c.workers.push_back(some_worker(initial, w, limit == driver::kNoLimit));
    }
    c.reclaims = *rc::gen::container<std::vector<bool>>(
        pick<size_t>(2, 9), rc::gen::weightedElement<bool>({{3, false}, {1, true}}));
    return c;
  });
}

// The states a run must reach: the reclaimer's EWB retries (the second needs a worker
// inside the enclave across the ETRACK), an ioctl refused because another ran, one
// stopped at a page the reclaimer held (or at the group's limit), an IPI taking a
// worker out of the enclave, a page written out, a charge refused at the limit.
const std::vector<std::string> kRequired = {
    "EWB ETRACK retry", "EWB IPI retry", "-EBUSY on a concurrent ioctl",
    "an ioctl stopped at a page being reclaimed", "IPI interrupting an enclave thread",
    "page written out", "a charge at the group's limit"};

UapiCoverage& coverage() {
  static UapiCoverage c(kRequired);
  return c;
}

void note(const InterleavingReach& r) {
  if (r.etrack_retries > 0) coverage().note("EWB ETRACK retry");
  if (r.ipi_retries > 0) coverage().note("EWB IPI retry");
  if (r.ebusy > 0) coverage().note("-EBUSY on a concurrent ioctl");
  if (r.held > 0) coverage().note("an ioctl stopped at a page being reclaimed");
  if (r.aex_interrupts > 0) coverage().note("IPI interrupting an enclave thread");
  if (r.evictions > 0) coverage().note("page written out");
  if (r.group_events > 0) coverage().note("a charge at the group's limit");
  coverage().end_case();
}

TEST(UapiInterleavings, DriverFollowsModelUnderSchedules) {
  const std::string budget = conformance::set_budget(kCiCases, kMaxCommands);
  std::printf("RC_PARAMS=\"%s\"\n", budget.c_str());
  uint64_t decisions = 0, most = 0, cases = 0;
  const bool ok = rc::check("the driver follows model/uapi under schedules", [&] {
    const uint64_t limit = *rc::gen::weightedElement<uint64_t>(
        {{3, driver::kNoLimit}, {2, kLimitBelow}, {1, kLimitAbove}});
    DriverWorld world(limit);
    const InterleavedCase c = *some_case(world.initial_model(), limit);
    const InterleavingResult r = run_interleaved(world, c);
    std::ostringstream shown;
    shown << c;
    RC_LOG() << shown.str();
    if (!r.outcome.completed()) RC_FAIL("the run did not complete: " + r.outcome.report());
    if (!r.failures.empty()) {
      std::string all;
      for (const std::string& f : r.failures) all += f + "\n";
      RC_FAIL(all);
    }
    const std::string d = world.final_differences(r.model, mu::Build{});
    if (!d.empty()) RC_FAIL("after loading every page back:\n" + d);
    const std::string left = world.teardown_differences();
    if (!left.empty()) RC_FAIL("after the enclaves' release:\n" + left);
    decisions += r.reach.decisions;
    most = std::max(most, r.reach.decisions);
    ++cases;
    note(r.reach);
  });
  std::printf("%llu cases, %llu decisions (at most %llu in one)\ncoverage:\n%s",
              static_cast<unsigned long long>(cases), static_cast<unsigned long long>(decisions),
              static_cast<unsigned long long>(most), coverage().report().c_str());
  EXPECT_TRUE(ok);
  for (const std::string& e : coverage().required()) {
    EXPECT_GE(coverage().cases(e), kMinCases) << e << " too rare";
  }
}

}  // namespace
}  // namespace sgxref::props
