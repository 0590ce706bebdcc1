// The driver's paging paths against the exact leaves they execute, run bare in the
// same process, so each ratio is the driver's own overhead (issue 8 item 10):
//
//   reclaim_page/batch_leaves  one ksgxd batch (Sgx::reclaim_pages: isolate 16 pages,
//     age them in every mm, take their backing, zap their PTEs, EBLOCK, EWB with the
//     ETRACK it needs) over 16 EBLOCK, 1 ETRACK and 16 EWB issued directly into the same
//     kind of backing frames. Refilling the EPC between batches is untimed in both.
//   fault_evict/ewb_eldu  one access from user space to a page of an enclave four times
//     the EPC (a #PF, the driver's fault handler reloading the page by ELDU, and, when
//     free pages fall below the low watermark, ksgxd stepped inline) over
//     BM_EwbEldu's EBLOCK, ETRACK, EWB and ELDU of one page (ewb_eldu_bench.cc).
//   restrict_page/emodpr_etrack_ipi  RESTRICT_PERMISSIONS per page, through the ioctl
//     over a range of 16 resident pages (the argument copied in and out once; per page
//     direct reclaim, the enclave's mutex, the page looked up, its SECINFO placed,
//     EMODPR, ETRACK and the IPI to the enclave's CPUs) over EMODPR, ETRACK and ipi_mask
//     of the same mask issued directly for the same pages.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <vector>

#include "driver/driver_fixture.h"
#include "driver/encl.h"
#include "driver/fixture_test_encl.h"
#include "driver/main.h"
#include "figures.h"
#include "hw/cpu.h"
#include "hw/inspect.h"
#include "kernel/mm.h"
#include "kernel/process.h"
#include "kernel/run_queue.h"
#include "kernel/user_mode.h"
#include "testlib/kernel_memory.h"
#include "testlib/enclave_builder.h"
#include "testlib/test_signing_key.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/sgx_ioctl.h"

namespace {

namespace hw = sgxref::hw;
namespace uapi = sgxref::uapi;
namespace driver = sgxref::driver;
namespace kernel = sgxref::kernel;
using sgxref::testlib::DriverFixture;
using sgxref::testlib::DriverFixtureOptions;
using sgxref::testlib::EnclaveSpec;

constexpr uint64_t kPage = hw::kPageSize;
constexpr int kBatch = driver::SGX_NR_TO_SCAN;

static const sgxref::bench::Ratio kReclaim("reclaim_page/batch_leaves", "BM_ReclaimBatch",
                                           "BM_BatchLeaves");
static const sgxref::bench::Ratio kRestrict("restrict_page/emodpr_etrack_ipi",
                                            "BM_RestrictPage", "BM_RestrictLeaves");
static const sgxref::bench::Ratio kFault("fault_evict/ewb_eldu", "BM_FaultEvict",
                                         "BM_EwbEldu");

// Makes `n` evicted pages of `spec` resident again through the debugger's path, which
// reloads them by ELDU without mapping them (so the next batch finds them not young).
void reload(DriverFixture& f, const EnclaveSpec& spec, uint64_t first, uint64_t n) {
  for (uint64_t i = first; i < first + n; ++i) {
    uint64_t v = 0;
    f.peek(spec.base + (1 + i) * kPage, &v, sizeof(v));
  }
}

void BM_ReclaimBatch(benchmark::State& state) {
  DriverFixtureOptions o;
  o.epc_pages = 256;
  DriverFixture f(o);
  EnclaveSpec spec;
  spec.reg_pages = 64;
  f.build_enclave(spec);
  driver::Sgx& sgx = f.sgx();
  kernel::CpuHold cpu;
  const uint64_t evictions_before = hw::Inspector(f.machine()).counters().evictions;
  uint64_t batches = 0;
  uint64_t next = 0;
  for (auto _ : state) {
    sgx.reclaim_pages();
    ++batches;
    state.PauseTiming();
    // The LRU holds the enclave's pages in build order; bring the evicted ones back so
    // each batch finds 16 resident, unreferenced pages at its head.
    reload(f, spec, next, kBatch);
    next = (next + kBatch) % spec.reg_pages;
    state.ResumeTiming();
  }
  const uint64_t evicted = hw::Inspector(f.machine()).counters().evictions - evictions_before;
  if (evicted < batches * kBatch || sgx.warnings() != 0) {
    state.SkipWithError("a batch did not evict 16 pages, or the driver warned");
  }
  state.SetItemsProcessed(int64_t(batches * kBatch));
}
BENCHMARK(BM_ReclaimBatch);

// The same leaves bare: 16 REG pages of an enclave built leaf by leaf are blocked,
// tracked once and written out by EWB into backing frames; refilled by ELDU, untimed.
void BM_BatchLeaves(benchmark::State& state) {
  hw::Config cfg;
  cfg.epc_pages = 64;
  cfg.ram_pages = 1024;
  hw::Machine m(cfg);
  hw::Cpu& cpu = m.cpu(0);
  sgxref::testlib::KernelMemory mem(m);
  const uint32_t secs_slot = 0;
  sgxref::testlib::EnclaveBuilder b(m, secs_slot);
  const uint64_t base = 0x8000'0000;
  if (!b.create(sgxref::testlib::make_secs(base, 32 * kPage)).succeeded()) {
    state.SkipWithError("ECREATE failed");
    return;
  }
  std::array<uint8_t, kPage> zero{};
  std::vector<hw::PAddr> epc, backing, pcmd, pageinfo_in;
  for (int i = 0; i < kBatch; ++i) {
    const uint32_t slot = secs_slot + 1 + uint32_t(i);
    if (!b.add(slot, base + uint64_t(i) * kPage, zero.data(),
               uapi::secinfo_flag::kR | uapi::secinfo_flag::kW |
                   uapi::secinfo_flag::type(uapi::PageType::kReg))
             .succeeded()) {
      state.SkipWithError("EADD failed");
      return;
    }
    epc.push_back(m.epc_addr(slot));
    backing.push_back(mem.frame());
    pcmd.push_back(mem.frame());
    const hw::PAddr in = mem.frame();
    const uapi::PageInfo pi{base + uint64_t(i) * kPage, backing.back(), pcmd.back(),
                            b.secs_addr()};
    (void)m.write(in, &pi, sizeof pi);
    pageinfo_in.push_back(in);
  }
  const uint32_t va = secs_slot + 1 + kBatch;
  if (!cpu.epa(uint64_t(uapi::PageType::kVa), m.epc_addr(va)).succeeded()) {
    state.SkipWithError("EPA failed");
    return;
  }
  const hw::PAddr out = mem.frame();
  bool ok = true;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) ok &= cpu.eblock(epc[size_t(i)]).succeeded();
    ok &= cpu.etrack(b.secs_addr()).succeeded();
    for (int i = 0; i < kBatch; ++i) {
      const uapi::PageInfo pi{0, backing[size_t(i)], pcmd[size_t(i)], 0};
      (void)m.write(out, &pi, sizeof pi);
      ok &= cpu.ewb(out, epc[size_t(i)], m.epc_addr(va) + uint64_t(i) * 8).succeeded();
    }
    state.PauseTiming();
    for (int i = 0; i < kBatch; ++i) {
      ok &= cpu.eldu(pageinfo_in[size_t(i)], epc[size_t(i)], m.epc_addr(va) + uint64_t(i) * 8)
                .succeeded();
    }
    state.ResumeTiming();
    if (!ok) {
      state.SkipWithError("a paging leaf failed");
      break;
    }
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * kBatch);
}
BENCHMARK(BM_BatchLeaves);

void BM_FaultEvict(benchmark::State& state) {
  DriverFixtureOptions o;
  o.epc_pages = 1024;
  DriverFixture f(o);
  EnclaveSpec spec;
  spec.reg_pages = 4 * o.epc_pages;
  f.build_enclave(spec);
  kernel::CpuHold cpu;
  const hw::Counters before = hw::Inspector(f.machine()).counters();
  uint64_t i = 0;
  uint64_t accesses = 0;
  bool ok = true;
  for (auto _ : state) {
    f.reclaim_if_low();
    uint64_t v = 0;
    ok &= kernel::user_load(spec.base + (1 + i) * kPage, &v, sizeof(v)) ==
          kernel::FaultResult::kHandled;
    i = (i + 1) % spec.reg_pages;
    ++accesses;
  }
  const hw::Counters after = hw::Inspector(f.machine()).counters();
  // Past the first sweep over the EPC every access is a reload.
  if (!ok || f.sgx().warnings() != 0 ||
      (accesses > 2 * o.epc_pages && after.reloads - before.reloads < accesses - 2 * o.epc_pages)) {
    state.SkipWithError("an access failed, was not a reload, or the driver warned");
  }
  state.SetItemsProcessed(int64_t(accesses));
}
BENCHMARK(BM_FaultEvict);

// RESTRICT_PERMISSIONS to RW of the selftests' enclave's heap, kRestrictPages pages
// that are RW already: the EPCM keeps its rights, so every iteration runs the same
// leaves. A range, as the selftests restrict their heap: the figure is per page, and the
// call's entry and copies are shared by the range as they are in use. The program's own
// stores of the argument and its load of `count` go straight to the argument's frame:
// on hardware they cost a few cycles, and the emulator's cost of a user access (or of
// the kernel's copy standing in for it) is not the driver's.
constexpr uint64_t kRestrictPages = 16;

void BM_RestrictPage(benchmark::State& state) {
  DriverFixture f;
  sgxref::testlib::FixtureTestEncl e(f, kRestrictPages);
  const uint64_t heap = sgxref::testlib::FixtureTestEncl::kHeap;
  const hw::LAddr arg = f.user_alloc(kPage);
  hw::PAddr arg_frame = 0;
  {
    kernel::Mm& mm = f.process().mm();
    sgxref::sched::ReaderLock l(mm.mmap_lock);
    arg_frame = mm.get_user_page(arg, true);
  }
  const uint64_t rw = uapi::secinfo_flag::kR | uapi::secinfo_flag::kW;
  hw::Machine& m = f.machine();
  kernel::CpuHold cpu;
  bool ok = arg_frame != 0;
  for (auto _ : state) {
    uapi::EnclaveRestrictPermissions p{heap, kRestrictPages * kPage, rw, 0, 0};
    ok &= !m.write(arg_frame, &p, sizeof p).faulted();
    ok &= f.process().ioctl(e.fd(), uapi::ioctl::kEnclaveRestrictPermissions, arg) == 0;
    ok &= !m.read(arg_frame, &p, sizeof p).faulted() && p.count == kRestrictPages * kPage;
  }
  if (!ok || f.sgx().warnings() != 0) state.SkipWithError("RESTRICT failed or the driver warned");
  state.SetItemsProcessed(int64_t(state.iterations() * kRestrictPages));
}
BENCHMARK(BM_RestrictPage);

// The same leaves for each page of the same range: EMODPR, ETRACK, and the IPI to the
// mask the driver computes.
void BM_RestrictLeaves(benchmark::State& state) {
  DriverFixture f;
  sgxref::testlib::FixtureTestEncl e(f, kRestrictPages);
  driver::Encl& encl = f.encl_of(e.fd());
  std::vector<hw::PAddr> epc;
  hw::PAddr secs = 0;
  {
    sgxref::sched::MutexLock l(encl.lock);
    for (uint64_t i = 0; i < kRestrictPages; ++i) {
      const hw::LAddr page = e.base() + sgxref::testlib::FixtureTestEncl::kHeap + i * kPage;
      const auto it = encl.page_array.find(page >> hw::kPageShift);
      if (it == encl.page_array.end() || it->second->epc_page == nullptr) {
        state.SkipWithError("a heap page is not resident");
        return;
      }
      epc.push_back(it->second->epc_page->addr);
    }
    secs = encl.secs.epc_page->addr;
  }
  uapi::SecInfo si{};
  si.flags = uapi::secinfo_flag::kR | uapi::secinfo_flag::kW;
  sgxref::testlib::KernelMemory mem(f.machine());
  const hw::PAddr secinfo = mem.put(si);
  const uint64_t mask = encl.cpumask();
  kernel::CpuHold cpu;
  hw::Cpu& c = kernel::this_cpu();
  bool ok = true;
  for (auto _ : state) {
    for (const hw::PAddr page : epc) {
      ok &= c.emodpr(secinfo, page).succeeded();
      ok &= c.etrack(secs).succeeded();
      f.kernel().ipi_mask(mask);
    }
  }
  if (!ok) state.SkipWithError("EMODPR or ETRACK failed");
  state.SetItemsProcessed(int64_t(state.iterations() * kRestrictPages));
}
BENCHMARK(BM_RestrictLeaves);

}  // namespace
