// File: the built-in catalogue and how one entry runs: the flow with Linux's choices,
// with each design alternative, and with each bug switch, every one against enclave
// threads. `./sgxref check` and the proofs test run entries through run_entry, so the
// test checks the path users take.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "flows/check.h"
#include "flows/layout.h"
#include "flows/variant.h"

namespace sgxref::proofs::flows {

struct Entry {
  std::string flow;
  std::vector<std::string> switches;  // "NAME=VALUE" and "bug.NAME"; none: Linux's choices
  size_t enclave_threads;
};

std::vector<Entry> catalogue();

// What the user may change for every entry; 0 keeps the entry's own value.
struct RunSizes {
  size_t pages = 2;            // data pages the ioctl works on
  size_t enclave_threads = 0;  // 0: the entry's
  size_t depth = 0;            // 0: enough for every thread to end, with room to spare
};

struct Row {
  Entry entry;
  std::string variant;  // describe(Variant)
  size_t threads = 0, bound = 0;
  Layout layout;
  System system;
  CheckResult result;
};

// Builds the entry's variant; throws std::invalid_argument for a switch the flows or the
// driver do not know.
Variant variant_of(const Entry& e);

Row run_entry(const Entry& e, const RunSizes& sizes);

// "SAFE to depth 22", "UNSAFE", "VACUOUS".
std::string verdict_text(const Row& r);

}  // namespace sgxref::proofs::flows
