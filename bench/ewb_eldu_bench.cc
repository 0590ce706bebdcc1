// EWB+ELDU on the emulator: per iteration, one REG page of an initialized enclave (no
// CPU inside it) is evicted the way a reclaimer does it, EBLOCK, ETRACK, EWB into a VA
// slot, and reloaded by ELDU, as the fault handler does. Four leaves through hw::Cpu with
// every architectural check, lock and counter they carry.
//
// Baseline: BM_AesGcmSealOpen (aes_gcm_bench.cc), the raw AES-128-GCM seal and open of
// one 4 KiB page under a 128-byte header that EWB and ELDU must do anyway. The cipher is
// the floor; the ratio is what the emulator's paging costs on top of it.
//
// The operand blocks live where a driver keeps them: the sealed page and PCMD in the
// backing RAM frames EWB writes and ELDU reads back, so no copy beyond the leaves' own.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

#include "figures.h"
#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/internals.h"
#include "hw/machine.h"
#include "hw/page_table.h"
#include "hw/paging_state.h"
#include "testlib/kernel_memory.h"
#include "testlib/test_enclave.h"
#include "testlib/test_signing_key.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"

namespace {

using sgxref::testlib::TestEnclave;
namespace hw = sgxref::hw;
namespace uapi = sgxref::uapi;

static const sgxref::bench::Ratio kEwbEldu("ewb_eldu/aes_gcm", "BM_EwbEldu",
                                           "BM_AesGcmSealOpen");

hw::Config small_machine() {
  hw::Config c;
  c.epc_pages = 32;
  c.ram_pages = 256;
  return c;
}

void BM_EwbEldu(benchmark::State& state) {
  hw::Machine m(small_machine());
  hw::PageTable pt;
  TestEnclave enclave(m, pt, sgxref::testlib::test_signing_key());
  if (!enclave.build().succeeded()) {
    state.SkipWithError("building the test enclave failed");
    return;
  }
  hw::Cpu& cpu = m.cpu(0);
  // The first EPC slot after the enclave's pages.
  const uint32_t va_page = enclave.slot(TestEnclave::kPages * hw::kPageSize);
  if (!cpu.epa(uint64_t(uapi::PageType::kVa), m.epc_addr(va_page)).succeeded()) {
    state.SkipWithError("EPA failed");
    return;
  }
  const hw::PAddr va_slot = m.epc_addr(va_page);
  const uint32_t slot = enclave.slot(TestEnclave::kData);
  const hw::PAddr epc = m.epc_addr(slot);
  const hw::PAddr secs = enclave.secs_addr();

  // Contents to check the round trips against.
  std::array<uint8_t, hw::kPageSize> contents;
  for (size_t i = 0; i < contents.size(); ++i) contents[i] = uint8_t(i * 7 + 3);
  std::memcpy(hw::Internals::of(m).page(slot), contents.data(), contents.size());

  sgxref::testlib::KernelMemory mem(m);
  const hw::PAddr backing = mem.frame();
  const hw::PAddr pcmd = mem.frame();
  const hw::PAddr ewb_pageinfo = mem.frame();
  const hw::PAddr eldu_pageinfo = mem.frame();
  const uapi::PageInfo out{.linaddr = 0, .srcpge = backing, .secinfo = pcmd, .secs = 0};
  const uapi::PageInfo in{
      .linaddr = enclave.la(TestEnclave::kData), .srcpge = backing, .secinfo = pcmd, .secs = secs};
  (void)m.write(eldu_pageinfo, &in, sizeof in);

  for (auto _ : state) {
    // EWB reports the page's address in PAGEINFO.LINADDR, which it needs zero on entry.
    (void)m.write(ewb_pageinfo, &out, sizeof out);
    if (!cpu.eblock(epc).succeeded() || !cpu.etrack(secs).succeeded() ||
        !cpu.ewb(ewb_pageinfo, epc, va_slot).succeeded() ||
        !cpu.eldu(eldu_pageinfo, epc, va_slot).succeeded()) {
      state.SkipWithError("a paging leaf failed");
      break;
    }
  }
  if (std::memcmp(hw::Inspector(m).page(slot), contents.data(), contents.size()) != 0) {
    state.SkipWithError("the page did not survive eviction and reload");
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_EwbEldu);

}  // namespace
