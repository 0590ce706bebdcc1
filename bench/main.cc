// Runs every registered benchmark, then prints one summary line per figure:
//   ratio NAME VALUE      (time per iteration / baseline's, same run)
//   rate NAME VALUE       (items per second)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>

#include "figures.h"

namespace sgxref::bench {

std::vector<Figure>& figures() {
  static std::vector<Figure> all;
  return all;
}

namespace {

// Keeps the console output and remembers each benchmark's time and rate.
class Collector : public benchmark::ConsoleReporter {
 public:
  // No colour, so the summary lines start at column 0 for grep.
  Collector() : ConsoleReporter(OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      const std::string name = r.benchmark_name();
      seconds_per_iter[name] = r.GetAdjustedRealTime();
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end()) rate[name] = it->second.value;
    }
  }
  std::map<std::string, double> seconds_per_iter;
  std::map<std::string, double> rate;
};

}  // namespace
}  // namespace sgxref::bench

int main(int argc, char** argv) {
  using sgxref::bench::figures;
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
      std::printf("rate %s %.0f\n", f.name.c_str(), it->second);
      continue;
    }
    auto a = collector.seconds_per_iter.find(f.benchmark);
    auto b = collector.seconds_per_iter.find(f.baseline);
    if (a == collector.seconds_per_iter.end() || b == collector.seconds_per_iter.end()) {
      std::printf("ratio %s missing (%s or %s did not run)\n", f.name.c_str(),
                  f.benchmark.c_str(), f.baseline.c_str());
      ++missing;
      continue;
    }
    std::printf("ratio %s %.3f\n", f.name.c_str(), a->second / b->second);
  }
  return missing == 0 ? 0 : 1;
}
