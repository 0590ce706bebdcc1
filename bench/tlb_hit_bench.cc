// Enclave loads that hit the TLB: a CPU in enclave mode (after EENTER into an initialized
// enclave) loads 8 bytes per iteration with hw::Cpu::load from its data page, whose
// translation is already in its TLB, stepping through the page's aligned words. That is
// the path every load and store of enclave code takes once its pages are mapped: the
// scheduling point, the busy/interrupted handshake, the TLB probe, the rights check and
// the shared-memory copy.
//
// Baseline: BM_HashLookup (hash_lookup_bench.cc), one lookup of a page number in a plain
// hash map plus the same 8-byte read at the same in-page offsets, per iteration. A TLB
// hit is that lookup and that read; the ratio is what the emulator's safety against
// interrupts and its checks cost on top. Both do one lookup and one load per iteration.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "figures.h"
#include "hw/asymmetric_fence.h"
#include "hw/cpu.h"
#include "hw/machine.h"
#include "hw/page_table.h"
#include "hw/registers.h"
#include "testlib/test_enclave.h"
#include "testlib/test_signing_key.h"

namespace {

using sgxref::testlib::TestEnclave;
namespace hw = sgxref::hw;

static const sgxref::bench::Ratio kTlbHit("tlb_hit/hash_lookup", "BM_TlbHitLoad",
                                          "BM_HashLookup");

constexpr hw::LAddr kAep = 0x7000'0000'1000;

void BM_TlbHitLoad(benchmark::State& state) {
  hw::Config cfg;
  cfg.epc_pages = 32;
  cfg.ram_pages = 256;
  hw::Machine m(cfg);
  hw::PageTable pt;
  TestEnclave enclave(m, pt, sgxref::testlib::test_signing_key());
  if (!enclave.build().succeeded()) {
    state.SkipWithError("building the test enclave failed");
    return;
  }
  hw::Cpu& cpu = m.cpu(0);
  hw::Registers outside;
  outside.rip = 0x7000'0000'0ff0;
  outside.rsp = 0x7fff'0000'8000;
  outside.rbp = 0x7fff'0000'9000;
  if (!cpu.set_page_table(&pt) || !cpu.set_regs(outside).succeeded() ||
      !cpu.eenter(enclave.la(TestEnclave::kTcs1), kAep).succeeded()) {
    state.SkipWithError("EENTER failed");
    return;
  }
  const hw::LAddr page = enclave.la(TestEnclave::kData);
  uint64_t v = 0;
  // The first load walks the page table and fills the TLB; the timed ones hit.
  if (!cpu.load(page, &v, 8).succeeded()) {
    state.SkipWithError("the first load failed");
    return;
  }
  state.SetLabel(hw::asymmetric_fence_available() ? "membarrier" : "seq_cst fences");

  uint64_t offset = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    if (!cpu.load(page + offset, &v, 8).succeeded()) {
      state.SkipWithError("a load faulted");
      break;
    }
    sum += v;
    offset = (offset + 8) & 0xFF8;
  }
  benchmark::DoNotOptimize(sum);
  if (!cpu.in_enclave_mode()) state.SkipWithError("the CPU left the enclave");
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_TlbHitLoad);

}  // namespace
