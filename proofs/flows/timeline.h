// File: a counterexample as people read it: one row per step, the point it ended at in
// the column of the thread that moved, then the state the flows are about after it: each
// data page's EPCM rights, PR, tracking stamp and BLOCKED (or, evicted, what its blob
// holds), whether the SECS is evicted, each enclave CPU's mode, entry age and TLB
// entries for the data pages, and what the ioctl returned once it has.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "flows/check.h"
#include "flows/layout.h"

namespace sgxref::proofs::flows {

// The state a timeline row shows, as data (the Python bindings give it as dicts).
struct Rights {
  bool r = false, w = false, x = false;
};
struct PageState {
  int64_t page = 0;
  bool resident = false;  // the driver has it in the EPC; else evicted, removed or lost
  bool removed = false;   // REMOVE_PAGES erased its record
  // Resident: its EPCM row.
  Rights rights;
  bool trim = false, modified = false, pr = false, stamped = false, blocked = false;
  int64_t stamp_age = 0;
  // Not resident: whether its blob is valid (evicted), and the rights and PR it holds.
  bool evicted = false;
  Rights blob_rights;
  bool blob_pr = false;
};
struct CpuState {
  int64_t cpu = 0;
  bool in = false;  // in enclave mode
  int64_t entry_age = 0;
  std::vector<std::pair<int64_t, Rights>> tlb;  // the data pages it maps, by page
};
struct IoctlState {
  std::string thread;  // the flow's main thread
  int64_t rv = 0;
  std::string ret;  // "0", "-EINVAL", "-EFAULT", "-EAGAIN", "?"
  int64_t count = 0;
};
struct StepState {
  std::vector<PageState> pages;  // the layout's data pages
  bool secs_resident = true;
  std::vector<CpuState> cpus;  // the enclave threads' CPUs
  std::optional<IoctlState> ioctl;  // once the main thread has returned
};

// "RW-": the rights as the timeline writes them.
std::string rights_text(const Rights& r);

// The state after a step, from its world; and as the timeline's text.
StepState state_of(const System& sys, const Layout& l, const World<C>& w);
std::string state_text(const StepState& s);

void print_timeline(std::ostream& os, const System& sys, const Layout& l, const Counterexample& cex);

}  // namespace sgxref::proofs::flows
