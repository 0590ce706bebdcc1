// Runs every registered benchmark, then prints one summary line per figure:
//   ratio NAME VALUE      (CPU time per iteration / baseline's, same run)
//   rate NAME VALUE       (items per second)
// With repetitions, each figure takes the median of a benchmark's repetitions: on a
// shared machine one repetition can be off by a third. CPU time, not wall time, for the
// same reason (every benchmark here runs on one thread).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "figures.h"

namespace sgxref::bench {

std::vector<Figure>& figures() {
  static std::vector<Figure> all;
  return all;
}

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Keeps the console output and remembers each repetition's time and rate, by the
// benchmark's name without the repetition suffix.
class Collector : public benchmark::ConsoleReporter {
 public:
  // No colour, so the summary lines start at column 0 for grep.
  Collector() : ConsoleReporter(OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      const std::string name = r.run_name.function_name;
      cpu_per_iter[name].push_back(r.GetAdjustedCPUTime());
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end()) rate[name].push_back(it->second.value);
    }
  }
  std::map<std::string, std::vector<double>> cpu_per_iter;
  std::map<std::string, std::vector<double>> rate;
};

}  // namespace
}  // namespace sgxref::bench

int main(int argc, char** argv) {
  using sgxref::bench::figures;
  using sgxref::bench::median;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  sgxref::bench::Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();
  int missing = 0;
  for (const auto& f : figures()) {
    if (f.baseline.empty()) {
      auto it = collector.rate.find(f.benchmark);
      if (it == collector.rate.end()) {
        std::printf("rate %s missing (benchmark %s did not run)\n", f.name.c_str(),
                    f.benchmark.c_str());
        ++missing;
        continue;
      }
      std::printf("rate %s %.0f\n", f.name.c_str(), median(it->second));
      continue;
    }
    auto a = collector.cpu_per_iter.find(f.benchmark);
    auto b = collector.cpu_per_iter.find(f.baseline);
    if (a == collector.cpu_per_iter.end() || b == collector.cpu_per_iter.end()) {
      std::printf("ratio %s missing (%s or %s did not run)\n", f.name.c_str(),
                  f.benchmark.c_str(), f.baseline.c_str());
      ++missing;
      continue;
    }
    std::printf("ratio %s %.3f\n", f.name.c_str(), median(a->second) / median(b->second));
  }
  return missing == 0 ? 0 : 1;
}
