// File: how a fuzz target reports a broken rule: the rule's words on stderr, then abort,
// which libFuzzer takes as a crash and keeps the input as an artifact.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace sgxref::fuzz {

inline void require(bool holds, const char* rule) {
  if (holds) return;
  std::fprintf(stderr, "broken: %s\n", rule);
  std::abort();
}

}  // namespace sgxref::fuzz
