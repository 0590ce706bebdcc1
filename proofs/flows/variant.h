// File: which flow the checker runs: Linux's, or the driver with one of its design
// alternatives (driver::Alternatives, switched by the same "NAME=VALUE" strings), or
// with a historical bug put back ("bug.NAME"). A bug switch names the patch under
// props/mutants that puts the same bug into the driver, where its counterexample replays.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "driver/alternatives.h"

namespace sgxref::proofs::flows {

struct Variant {
  driver::Alternatives alt;
  std::set<std::string> bugs;  // names without "bug."

  bool bug(const std::string& name) const { return bugs.count(name) != 0; }
};

struct BugSwitch {
  const char* name;
  const char* what;
};

// Every bug switch the flows know.
const std::vector<BugSwitch>& bug_switches();

// Applies "bug.NAME" or an alternative's "NAME=VALUE". Returns "" on success, else why
// it was refused, naming what would have been accepted; `v` is then unchanged.
std::string set_switch(Variant& v, const std::string& text);

// "linux" for Linux's choices, else every switch off Linux's, comma-separated.
std::string describe(const Variant& v);

}  // namespace sgxref::proofs::flows
