// Baseline for enclave loads that hit the TLB: the cost of finding a page's entry in
// a plain hash map keyed by page number, which is what a TLB lookup amounts to.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace {

void BM_HashLookup(benchmark::State& state) {
  constexpr uint64_t kPages = 64;
  std::unordered_map<uint64_t, uint8_t*> map;
  std::vector<uint8_t> memory(kPages * 4096);
  for (uint64_t p = 0; p < kPages; ++p) map[0x7f0000000ull + p] = memory.data() + p * 4096;
  uint64_t addr = 0x7f0000000000ull;
  uint64_t sum = 0;
  for (auto _ : state) {
    uint8_t* page = map.find(addr >> 12)->second;
    uint64_t v;
    std::memcpy(&v, page + (addr & 0xFF8), 8);
    sum += v;
    addr = 0x7f0000000000ull + ((addr + 4104) & (kPages * 4096 - 1));
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_HashLookup);

}  // namespace
