#include "kernel/user_mode.h"

#include <algorithm>

#include "hw/cpu.h"
#include "kernel/task.h"
#include "sched/scheduler.h"

namespace sgxref::kernel {

FaultResult do_user_addr_fault(Mm& mm, const hw::Fault& f) {
  if (f.vector != hw::Vector::kPF || (f.error_code & hw::pfec::kSgx)) {
    return FaultResult::kSigsegv;
  }
  const FaultResult r = mm.handle_mm_fault(f.addr, (f.error_code & hw::pfec::kW) != 0,
                                           (f.error_code & hw::pfec::kI) != 0);
  // mm_fault_error: out of memory is no signal (nor a vDSO exception): the OOM killer
  // runs and user code takes the fault again, unless it was the one killed. The slice
  // has no killer, so a lasting shortage spins, as it does for a task the killer spares.
  return r == FaultResult::kOom ? FaultResult::kHandled : r;
}

namespace {

// One access of up to 8 bytes within a page, retried after each fault the kernel
// resolves, as user code re-executes the instruction on return from the fault. A
// handler may resolve a fault without mapping anything (VM_FAULT_NOPAGE while a driver
// writes the page out), so the retry is a spin-wait on other threads: a yield.
template <typename Access>
FaultResult access_with_faults(const Access& access) {
  Task& t = current();
  for (;;) {
    const hw::Result r = access(this_cpu());
    if (!r.faulted()) return FaultResult::kHandled;
    if (r.fault.vector != hw::Vector::kIntr) {
      if (FaultResult fr = do_user_addr_fault(*t.mm(), r.fault); fr != FaultResult::kHandled) {
        return fr;
      }
    }
    sched::yield("user.fault_retry");
  }
}

template <typename Step>
FaultResult by_chunks(hw::LAddr a, size_t n, const Step& step) {
  size_t done = 0;
  while (done < n) {
    const hw::LAddr at = a + done;
    const size_t chunk = std::min<size_t>({8, n - done, hw::kPageSize - hw::page_offset(at)});
    if (FaultResult r = step(at, done, chunk); r != FaultResult::kHandled) return r;
    done += chunk;
  }
  return FaultResult::kHandled;
}

}  // namespace

FaultResult user_load(hw::LAddr a, void* out, size_t n) {
  return by_chunks(a, n, [&](hw::LAddr at, size_t done, size_t chunk) {
    return access_with_faults([&](hw::Cpu& c) {
      return c.load(at, static_cast<uint8_t*>(out) + done, chunk);
    });
  });
}

FaultResult user_store(hw::LAddr a, const void* in, size_t n) {
  return by_chunks(a, n, [&](hw::LAddr at, size_t done, size_t chunk) {
    return access_with_faults([&](hw::Cpu& c) {
      return c.store(at, static_cast<const uint8_t*>(in) + done, chunk);
    });
  });
}

}  // namespace sgxref::kernel
