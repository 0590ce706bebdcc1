// EAUG on fault against the leaves it executes (issue 9 item 8):
//
//   eaug_fault/eaug_path_leaves  an enclave thread's EACCEPT of an unbacked page of
//     ELRANGE, entered through the vDSO: EENTER, the EACCEPT's #PF and AEX, the arch
//     fault path and the driver's sgx_encl_eaug_page (mmap_lock, VMA, EPC page charged
//     and allocated, its record inserted, EAUG, the PTE, the LRU), the AEP's ERESUME, the
//     EACCEPT again, EEXIT; over EENTER, the same EACCEPT faulting on a page whose EPCM
//     entry is free, EAUG, ERESUME, EACCEPT and EEXIT issued directly on the same CPU,
//     enclave and pages.
//
// Both walk the unbacked part of ELRANGE a page per iteration; between rounds (untimed)
// the driver's pages are trimmed and removed through the ioctls, the bare ones EREMOVEd.
// The program's op goes straight to its frame in both: on hardware it is a few stores,
// and the emulator's cost of a user store is not the driver's.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "driver/driver_fixture.h"
#include "driver/encl.h"
#include "driver/fixture_test_encl.h"
#include "figures.h"
#include "hw/cpu.h"
#include "hw/fault.h"
#include "hw/inspect.h"
#include "kernel/mm.h"
#include "kernel/process.h"
#include "kernel/run_queue.h"
#include "testlib/kernel_memory.h"
#include "uapi/enclave_run.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/sgx_ioctl.h"
#include "user/enclave_program.h"
#include "user/test_encl.h"
#include "user/test_encl_ops.h"
#include "user/vsgx.h"

namespace {

namespace hw = sgxref::hw;
namespace uapi = sgxref::uapi;
namespace user = sgxref::user;
namespace kernel = sgxref::kernel;
namespace sf = uapi::secinfo_flag;
using sgxref::testlib::DriverFixture;
using sgxref::testlib::DriverFixtureOptions;
using sgxref::testlib::FixtureTestEncl;

constexpr uint64_t kPage = hw::kPageSize;
constexpr uint64_t kPendingReg = sf::kR | sf::kW | sf::type(uapi::PageType::kReg) | sf::kPending;
// A heap of 1024 pages puts ELRANGE at 8 MiB with 1015 pages unbacked: a round.
constexpr uint64_t kHeapPages = 1024;

static const sgxref::bench::Ratio kEaug("eaug_fault/eaug_path_leaves", "BM_EaugFault",
                                        "BM_EaugLeaves");

DriverFixtureOptions options() {
  DriverFixtureOptions o;
  o.epc_pages = 4096;  // the heap, every unbacked page and room above the watermarks
  return o;
}

// The test enclave with its unbacked pages and an op page the program reads from RDI.
class EaugEnclave {
 public:
  EaugEnclave() : f_(options()), e_(f_, kHeapPages), op_(f_.user_alloc(kPage)) {
    kernel::Mm& mm = f_.process().mm();
    sgxref::sched::ReaderLock l(mm.mmap_lock);
    op_frame_ = mm.get_user_page(op_, true);
  }

  DriverFixture& fixture() { return f_; }
  FixtureTestEncl& encl() { return e_; }
  uint64_t holes() const { return (e_.size() - e_.holes()) / kPage; }
  hw::LAddr hole(uint64_t i) const { return e_.base() + e_.holes() + i * kPage; }
  hw::LAddr op() const { return op_; }
  uint64_t eaugs() { return hw::Inspector(f_.machine()).counters().calls[int(hw::Leaf::kEaug)]; }
  hw::LAddr tcs() const { return e_.base() + user::test_encl::kTcs1; }
  bool ready() const { return op_frame_ != 0; }

  // EACCEPT of the page at `la` as a pending REG RW page, placed for the program.
  bool put_eaccept(hw::LAddr la, uint64_t flags = kPendingReg) {
    const user::EnclOpEaccept op{{user::kEnclOpEaccept}, la, flags, ~0ull};
    return !f_.machine().write(op_frame_, &op, sizeof op).faulted();
  }
  // The EACCEPT's code, as the program left it in the op.
  uint64_t eaccept_ret() {
    user::EnclOpEaccept op{};
    (void)f_.machine().read(op_frame_, &op, sizeof op);
    return op.ret;
  }

  // The op through the vDSO from TCS #1: whether it ended in EEXIT.
  bool call() {
    uapi::EnclaveRun run{};
    run.tcs = tcs();
    return user::vdso_sgx_enter_enclave(op_, 0, 0, uapi::enclu::kEenter, 0, 0, &run) == 0 &&
           run.function == uapi::enclu::kEexit;
  }

  // The selftests' removal of `n` pages from the first hole: MODIFY_TYPES to TRIM,
  // EACCEPT of each, REMOVE_PAGES. Leaves them unbacked again.
  bool remove_holes(uint64_t n) {
    uapi::EnclaveModifyTypes modt{e_.holes(), n * kPage, uint64_t(uapi::PageType::kTrim), 0, 0};
    bool ok = f_.ioctl(e_.fd(), uapi::ioctl::kEnclaveModifyTypes, modt) == 0;
    for (uint64_t i = 0; ok && i < n; ++i) {
      ok = put_eaccept(hole(i), sf::type(uapi::PageType::kTrim) | sf::kModified) && call() &&
           eaccept_ret() == 0;
    }
    uapi::EnclaveRemovePages rm{e_.holes(), n * kPage, 0};
    return ok && f_.ioctl(e_.fd(), uapi::ioctl::kEnclaveRemovePages, rm) == 0 &&
           rm.count == n * kPage;
  }

 private:
  DriverFixture f_;
  FixtureTestEncl e_;
  hw::LAddr op_ = 0;
  hw::PAddr op_frame_ = 0;
};

void BM_EaugFault(benchmark::State& state) {
  EaugEnclave x;
  DriverFixture& f = x.fixture();
  const uint64_t n = x.holes();
  kernel::CpuHold cpu;
  bool ok = x.ready();
  const uint64_t eaugs = x.eaugs();
  uint64_t i = 0;
  for (auto _ : state) {
    if (i == n) {
      state.PauseTiming();
      ok &= x.remove_holes(n);
      i = 0;
      state.ResumeTiming();
    }
    ok &= x.put_eaccept(x.hole(i));
    ok &= x.call() && x.eaccept_ret() == 0;
    ++i;
  }
  // Every EACCEPT went through the fault: one EAUG each.
  ok &= x.eaugs() - eaugs == uint64_t(state.iterations());
  if (!ok || f.sgx().warnings() != 0) {
    state.SkipWithError("an EACCEPT failed, was not EAUGed on its fault, or the driver warned");
  }
}
BENCHMARK(BM_EaugFault);

void BM_EaugLeaves(benchmark::State& state) {
  EaugEnclave x;
  DriverFixture& f = x.fixture();
  const uint64_t n = x.holes();
  kernel::CpuHold cpu;
  hw::Cpu& c = kernel::this_cpu();
  bool ok = x.ready();
  // One round through the driver gives every unbacked page a PTE and an EPC page; the
  // pages are then freed under the driver, so the EACCEPT finds the PTE and faults on
  // the EPCM instead, and EAUG can refill the same EPC page.
  for (uint64_t i = 0; ok && i < n; ++i) ok = x.put_eaccept(x.hole(i)) && x.call();
  std::vector<hw::PAddr> epc;
  hw::PAddr secs = 0;
  {
    sgxref::driver::Encl& encl = f.encl_of(x.encl().fd());
    sgxref::sched::MutexLock l(encl.lock);
    secs = encl.secs.epc_page->addr;
    for (uint64_t i = 0; i < n; ++i) {
      const auto it = encl.page_array.find(x.hole(i) >> hw::kPageShift);
      if (it == encl.page_array.end() || it->second->epc_page == nullptr) {
        state.SkipWithError("a page the driver added is missing or not resident");
        return;
      }
      epc.push_back(it->second->epc_page->addr);
    }
  }
  const auto eremove_all = [&] {
    bool removed = true;
    for (const hw::PAddr p : epc) removed &= c.eremove(p).succeeded();
    return removed;
  };
  ok &= eremove_all();
  sgxref::testlib::KernelMemory mem(f.machine());
  const hw::PAddr pageinfo = mem.frame();
  uint64_t i = 0;
  for (auto _ : state) {
    if (i == n) {
      state.PauseTiming();
      ok &= eremove_all();
      i = 0;
      state.ResumeTiming();
    }
    ok &= x.put_eaccept(x.hole(i));
    hw::Registers r = c.regs();
    r.rdi = x.op();
    r.rax = uapi::enclu::kEenter;
    r.rbx = x.tcs();
    r.rcx = user::kVdsoEnclu;
    r.rip = user::kVdsoAfterEnclu;
    c.set_regs(r);
    ok &= c.eenter(x.tcs(), user::kVdsoEnclu).succeeded();
    const user::ProgramExit aex = user::run_enclave_program(c);
    ok &= aex.kind == user::ProgramExit::Kind::kAex && aex.fault.vector == hw::Vector::kPF;
    const uapi::PageInfo pi{x.hole(i), 0, 0, secs};
    ok &= !f.machine().write(pageinfo, &pi, sizeof pi).faulted();
    ok &= c.eaug(pageinfo, epc[i]).succeeded();
    ok &= c.eresume(x.tcs(), user::kVdsoEnclu).succeeded();
    ok &= user::run_enclave_program(c).kind == user::ProgramExit::Kind::kEexit;
    ok &= x.eaccept_ret() == 0;
    ++i;
    if (!ok) {
      state.SkipWithError("a leaf failed or the program did not fault and exit as planned");
      break;
    }
  }
}
BENCHMARK(BM_EaugLeaves);

}  // namespace
