// File: the figures a benchmark file contributes to scripts/bench's summary. A ratio is
// one benchmark's time per iteration over a baseline's, both measured in the same run;
// a rate is a benchmark's items_per_second counter. Each file registers its own:
//   static const bench::Ratio kR("ewb_eldu/aes_gcm", "BM_EwbEldu", "BM_AesGcmSealOpen");
#pragma once

#include <string>
#include <vector>

namespace sgxref::bench {

struct Figure {
  std::string name;
  std::string benchmark;  // numerator, or the benchmark carrying items_per_second
  std::string baseline;   // empty for a rate
};

std::vector<Figure>& figures();

struct Ratio {
  Ratio(const char* name, const char* benchmark, const char* baseline) {
    figures().push_back({name, benchmark, baseline});
  }
};

struct Rate {
  Rate(const char* name, const char* benchmark) { figures().push_back({name, benchmark, ""}); }
};

}  // namespace sgxref::bench
