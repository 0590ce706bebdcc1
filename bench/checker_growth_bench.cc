// The checker's time to a verdict as the system grows (issue 11 item 10): Linux's
// RESTRICT_PERMISSIONS against enclave threads, with pages 2 to 8 (one enclave thread)
// and enclave threads 1 to 3 (two pages), and raced by ksgxd with pages 1 to 3 (no
// enclave thread: the SECS can go too) and with one enclave thread on 1 and 2 pages.
// Each run goes on past the entry's depth until every run of the system has ended
// (PROVEN) or kProveSeconds pass (UNKNOWN, SAFE to the depth reached): the label says
// which, the counter `depth` how deep. One iteration and one repetition each; the whole
// table takes up to half an hour (--benchmark_filter=CheckerGrowth runs it alone).
#include <benchmark/benchmark.h>

#include <string>

#include "flows/catalogue_run.h"

namespace {

namespace fl = sgxref::proofs::flows;

constexpr double kProveSeconds = 120;

void run(benchmark::State& state, const std::string& flow) {
  const fl::Entry e{flow, {}, size_t(state.range(1)), size_t(state.range(0))};
  fl::RunSizes sizes;
  sizes.prove = true;
  sizes.prove_seconds = kProveSeconds;
  fl::Row row;
  for (auto _ : state) row = fl::run_entry(e, sizes);
  state.SetLabel(fl::verdict_text(row));
  state.counters["depth"] = double(row.result.depth);
  state.counters["threads"] = double(row.threads);
}

void BM_CheckerGrowth_Restrict(benchmark::State& state) { run(state, "restrict"); }
void BM_CheckerGrowth_RestrictReclaim(benchmark::State& state) { run(state, "restrict-reclaim"); }

// Arguments: pages, enclave threads.
BENCHMARK(BM_CheckerGrowth_Restrict)
    ->ArgNames({"pages", "enclave_threads"})
    ->Args({2, 1})->Args({3, 1})->Args({4, 1})->Args({5, 1})->Args({6, 1})->Args({7, 1})->Args({8, 1})
    ->Args({2, 2})->Args({2, 3})->Args({4, 2})
    ->Iterations(1)->Repetitions(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK(BM_CheckerGrowth_RestrictReclaim)
    ->ArgNames({"pages", "enclave_threads"})
    ->Args({1, 0})->Args({2, 0})->Args({3, 0})->Args({1, 1})->Args({2, 1})
    ->Iterations(1)->Repetitions(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
