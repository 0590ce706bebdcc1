// File: how long a property suite runs. CI's run is fixed: a seed and a number of test
// cases per property. SGXREF_SOAK=N multiplies the test cases for a soak run; RC_PARAMS,
// when set, is RapidCheck's own and wins (seed=, max_success=, reproduce=...).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace sgxref::conformance {

inline constexpr uint64_t kCiSeed = 0x5367785265660004ull;

// Sets RC_PARAMS for this process unless the caller did, before RapidCheck reads it
// (on its first property). Returns the setting in force, for the log.
inline std::string set_budget(int ci_cases, int max_commands) {
  if (const char* mine = std::getenv("RC_PARAMS")) return mine;
  long soak = 1;
  if (const char* s = std::getenv("SGXREF_SOAK")) soak = std::max(1L, std::strtol(s, nullptr, 10));
  const std::string p = "seed=" + std::to_string(kCiSeed) +
                        " max_success=" + std::to_string(long(ci_cases) * soak) +
                        " max_size=" + std::to_string(max_commands);
  setenv("RC_PARAMS", p.c_str(), 0);
  return p;
}

}  // namespace sgxref::conformance
