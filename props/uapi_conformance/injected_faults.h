// File: the fault property's side of the uapi conformance property. Each command draws
// which of impl/kernel's injection points fails during its call, how often and from
// which seed (so a failing case replays and shrinks like any other argument). A call
// whose answer is still the model's must have left the model's state; one that an
// injected failure changed must have answered as Linux can (the errnos below, each
// Linux's reaction to that failure: docs/reliability.md has the table) and left the
// state the model has after the part done before the failure. ksgxd.stopped is not
// drawn: ksgxd runs here as manual steps, and its stop is the kthread tests'.
// Header-only: the property binaries link RapidCheck, the world library does not.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <optional>
#include <ostream>

#include "kernel/fault_inject.h"
#include "kernel/kernel.h"
#include "uapi/build_ioctls.h"
#include "uapi/enclave_run.h"
#include "uapi/enclave_ops.h"
#include "uapi/process.h"
#include "uapi/sgx2_ioctls.h"
#include "uapi_conformance/driver_world.h"

namespace sgxref::props {

struct FaultDraw {
  kernel::FailPoint point = kernel::FailPoint::kCount;  // kCount: none
  int percent = 0;
  uint64_t seed = 0;

  bool any() const { return point != kernel::FailPoint::kCount; }
  const char* name() const { return kernel::kFailPointNames[size_t(point)]; }

  // Runs `call` with the point switched on; whether it failed there at least once.
  template <class Call>
  bool during(kernel::Kernel& k, Call call) const {
    if (!any()) {
      call();
      return false;
    }
    struct Off {
      kernel::FaultInjection& f;
      ~Off() { f.disable_all(); }  // also when the call's own check throws
    } off{k.faults()};
    const uint64_t before = off.f.failures(point);
    off.f.enable(point, percent, seed);
    call();
    return off.f.failures(point) > before;
  }
};

// Three calls in four with a point on. Never at 100 percent: user code takes an
// out-of-memory fault again (mm_fault_error), so a point that always failed there would
// never let the access end, as it would not on Linux.
inline FaultDraw some_fault_draw() {
  using kernel::FailPoint;
  if (*rc::gen::inRange(0, 4) == 0) return {};
  FaultDraw d;
  d.point = *rc::gen::element(FailPoint::kBackingAlloc, FailPoint::kEpcAlloc,
                              FailPoint::kVaAlloc, FailPoint::kKmalloc,
                              FailPoint::kCopyFromUser, FailPoint::kSignalPending);
  d.percent = *rc::gen::element(10, 30, 60);
  d.seed = *rc::gen::inRange<uint64_t>(1, uint64_t(1) << 20);
  return d;
}

inline std::ostream& operator<<(std::ostream& os, const FaultDraw& d) {
  if (!d.any()) return os;
  return os << " [" << d.name() << " " << d.percent << "%, seed " << d.seed << "]";
}

namespace fault_answers {

namespace mu = model::uapi;

// Not among the model's answers: only a signal gives it.
inline constexpr long kIntr = -4;

using kernel::FailPoint;

// What a call that a failure refuses answers: an allocation -ENOMEM, a copy from user
// space -EFAULT, a signal -EINTR (-ERESTARTSYS, as a caller without SA_RESTART sees it).
inline long errno_of(FailPoint p) {
  if (p == FailPoint::kCopyFromUser) return mu::err::kFault;
  if (p == FailPoint::kSignalPending) return kIntr;
  return mu::err::kNoMem;
}

// An SGX2 ioctl stopped by a failure at `p`: Linux answers -EFAULT when the argument
// cannot be copied in (the struct left as user space wrote it, nothing done); at a page
// it cannot load back for want of an EPC page, -EAGAIN for -EBUSY (none free, and no
// reclaim under the enclave's lock) and -EFAULT for -ENOMEM (nothing left to reclaim),
// with `count` the bytes done before that page. The model's state after that part, if
// the answer is one of these.
inline std::optional<mu::Process> sgx2_stopped(FailPoint p, const mu::Process& m,
                                               DriverWorld::Sgx2 which, const mu::Sgx2Args& a,
                                               const mu::IoctlOutcome& got) {
  if (p == FailPoint::kCopyFromUser) {
    const uint64_t result = which == DriverWorld::Sgx2::kRemove ? 0 : a.result;  // no field
    if (got == mu::IoctlOutcome{mu::err::kFault, result, a.count}) return m;
    return std::nullopt;
  }
  if (p != FailPoint::kEpcAlloc || (got.ret != mu::err::kFault && got.ret != mu::err::kAgain)) {
    return std::nullopt;
  }
  if (got.result != 0 || got.count % mu::kPage != 0 || got.count >= a.length) return std::nullopt;
  mu::Process done = m;
  if (got.count == 0) return done;
  mu::Sgx2Args part = a;
  part.length = got.count;
  if (!(DriverWorld::on_model(done.enclave, which, part) == mu::IoctlOutcome{0, 0, got.count})) {
    return std::nullopt;
  }
  return done;
}

// An enclave call stopped by a failure: the fault handler's SIGBUS, for an EPC page or a
// VA page it could not get to load a page back or EAUG one (with nothing left to
// reclaim, or a signal pending at the group's limit: the EPC cgroup series asks for
// signals before it looks at SGX_NO_RECLAIM, docs/epc-accounting.md), which the vDSO
// reports as a #PF. Out of memory for a page's record is VM_FAULT_OOM, taken again
// instead. The #PF is on a page the call touches: at the door, the TCS or SSA page that
// EENTER or ERESUME itself needs (before anything else, the TCS's CSSA included);
// inside, after AEX, the operation's page (and EACCEPTCOPY's source).
inline bool sigbus_from(FailPoint p) {
  return p == FailPoint::kEpcAlloc || p == FailPoint::kVaAlloc || p == FailPoint::kSignalPending;
}
inline bool at_the_door(const mu::OpOutcome& got, uint64_t base, int thread) {
  const uint64_t page = (got.addr - base) / mu::kPage * mu::kPage;
  return !got.exited && got.vector == 14 &&
         (page == DriverWorld::tcs(thread) || page == DriverWorld::ssa(thread));
}
inline bool inside(const mu::EnclaveOp& op, const mu::OpOutcome& got, uint64_t base) {
  const auto page_of = [](uint64_t offset) { return offset / mu::kPage * mu::kPage; };
  const uint64_t page = page_of(got.addr - base);
  return !got.exited && got.vector == 14 &&
         (page == page_of(op.offset) ||
          (op.kind == mu::EnclaveOp::Kind::kEacceptCopy && page == page_of(op.source)));
}

// EENTER's call stopped so: the model's state after it. EENTER's own fault (its leaf
// reported) changes nothing; one inside (ERESUME's leaf, after AEX) leaves the thread
// inside, stopped at the operation. ERESUME's leaves the state as it was either way.
inline std::optional<mu::Process> enter_stopped(FailPoint p, const mu::Process& m,
                                                const mu::EnclaveOp& op,
                                                const DriverWorld::Run& got, uint64_t base,
                                                int thread) {
  if (!sigbus_from(p)) return std::nullopt;
  const uint64_t tcs = DriverWorld::tcs(thread);
  if (got.function == uapi::enclu::kEenter && at_the_door(got.outcome, base, thread)) return m;
  if (got.function != uapi::enclu::kEresume || m.enclave.stopped.count(tcs) != 0 ||
      !inside(op, got.outcome, base)) {
    return std::nullopt;
  }
  mu::Process after = m;
  after.enclave.stopped.emplace(tcs, op);
  return after;
}

// A build ioctl refused by a failure at `p`, with nothing done.
inline bool build_refused(FailPoint p, long ret) { return ret == errno_of(p); }

// ADD_PAGES stopped by a failure at `p` after `count` bytes: refused as above, at the
// first page or at a later one (`count` the pages before), or stopped by a signal after
// the first page (0: Linux stops without an error, `count` the pages added). The
// model's build after that part.
inline std::optional<mu::Process> add_stopped(FailPoint p, const mu::Process& m,
                                              const mu::AddArgs& a, const mu::IoctlOutcome& got) {
  const bool signalled = p == FailPoint::kSignalPending && got.ret == 0 && got.count > 0;
  if (!build_refused(p, got.ret) && !signalled) return std::nullopt;
  if (got.count % mu::kPage != 0 || got.count >= a.length) return std::nullopt;
  mu::Process done = m;
  if (got.count == 0) return done;
  mu::AddArgs part = a;
  part.length = got.count;
  if (!(mu::add_pages(done.build, done.plan, part) == mu::IoctlOutcome{0, 0, got.count})) {
    return std::nullopt;
  }
  return done;
}

}  // namespace fault_answers
}  // namespace sgxref::props
