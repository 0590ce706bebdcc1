// File: the built-in catalogue and how its entries run: each flow with Linux's choices,
// with each design alternative, and with each bug switch, against enclave threads (and
// ksgxd). `./sgxref check` and the proofs test run entries through run_entries, so the
// test checks the path users take. Entries are independent and run on `jobs` threads,
// each with its own Z3 context.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flows/check.h"
#include "flows/flow_file.h"
#include "flows/layout.h"
#include "flows/variant.h"

namespace sgxref::proofs::flows {

struct Entry {
  std::string flow;
  std::vector<std::string> switches;  // "NAME=VALUE" and "bug.NAME"; none: Linux's choices
  size_t enclave_threads;
  size_t pages = 2;  // data pages the ioctl works on
  // 0: every thread's steps alone, plus an AEX and ERESUME per enclave thread (every
  // thread can end in one run); else a smaller bound the catalogue's time allows, which
  // still lets each thread end (the run checks it).
  size_t depth = 0;
  // Set: the flow is this file's (`flow` is its name), raced by ksgxd under `switches`
  // if the file asks for ksgxd.
  std::shared_ptr<const file::FlowFile> file = nullptr;
};

// The entry a flow file makes, at the file's sizes.
Entry file_entry(std::shared_ptr<const file::FlowFile> f, std::vector<std::string> switches);

std::vector<Entry> catalogue();

// What the user may change for every entry; unset: the entry's own.
struct RunSizes {
  std::optional<size_t> pages;
  std::optional<size_t> enclave_threads;
  std::optional<size_t> depth;
  // Go on past the bound until every run has ended (PROVEN), within `prove_seconds` per
  // entry (else UNKNOWN).
  bool prove = false;
  double prove_seconds = 300;
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

// What an entry checks, at `sizes` where they are set.
struct Built {
  Variant variant;
  Layout layout;
  System system;
};
Built build_entry(const Entry& e, const RunSizes& sizes = {});

// `progress(depth, bound)`, when given, is called as each depth is done; `stop` is
// run_check's.
Row run_entry(const Entry& e, const RunSizes& sizes,
              const std::function<void(size_t depth, size_t bound)>& progress = nullptr,
              const std::atomic<bool>* stop = nullptr);

// What run_entries reports while it works, from its worker threads, one call at a time.
struct Progress {
  std::function<void(size_t entry, size_t depth, size_t bound)> depth;
  std::function<void(size_t entry, const Row& row)> done;
};

// Every entry, on `jobs` threads; the rows in the entries' order. An exception in a run
// is rethrown here once every worker has stopped.
std::vector<Row> run_entries(const std::vector<Entry>& entries, const RunSizes& sizes,
                             size_t jobs, const Progress& progress);

// "SAFE", "PROVEN", "UNSAFE", "VACUOUS", "UNKNOWN".
const char* verdict_name(Verdict3 v);
// "SAFE to depth 22", "PROVEN", "UNSAFE", "VACUOUS", "UNKNOWN (SAFE to depth 30)".
std::string verdict_text(const Row& r);

}  // namespace sgxref::proofs::flows
