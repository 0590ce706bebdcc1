#include "flows/catalogue_run.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "flows/catalogue.h"
#include "flows/file_program.h"

namespace sgxref::proofs::flows {

// The sizes are what the catalogue's five minutes on two cores allow: two enclave
// threads where the IPI's reach is the question, none where the SECS's eviction is (it
// needs every child out, a running thread's TCS included), one page where ksgxd and an
// enclave thread race, to depth 16 (each depth there takes half as long again as the one
// before: depth 18 cost the CI gate 100 s more). The longest entry (that one) comes first
// among ksgxd's, so that the two workers of run_entries finish close together. Depth 35 for ksgxd's two-page
// entries is where every run has ended (PROVEN), one past the default. MODIFY_TYPES
// against ksgxd runs on one page: PROVEN in 8 s there, it takes minutes at two.
// REMOVE_PAGES' runs end by depth 11 on one page with one enclave thread (PROVEN in 9 s;
// on two pages by depth 20, in 20 to 40 s).
std::vector<Entry> catalogue() {
  return {
      {"restrict", {}, 2},
      {"restrict", {"restrict.etrack=batched"}, 2},
      {"restrict", {"restrict.lock=whole-range"}, 1},
      {"restrict", {"restrict.etrack=batched", "restrict.lock=whole-range"}, 1},
      {"restrict", {"bug.restrict-skips-etrack"}, 1},
      {"restrict", {"bug.etrack-skips-ipi"}, 2},
      {"restrict-reclaim", {}, 1, 1, 16},
      {"restrict-reclaim", {}, 0, 2, 35},
      {"restrict-reclaim", {"restrict.etrack=batched"}, 0, 2, 35},
      {"restrict-reclaim", {"restrict.etrack=batched", "bug.batched-etrack-skips-secs-reload"}, 0},
      {"restrict-reclaim", {"bug.ewb-skips-etrack-retry"}, 0},
      {"restrict-reclaim", {"bug.ewb-skips-ipi-retry"}, 1, 1},
      {"modify-types", {}, 1},
      {"modify-types", {"bug.etrack-skips-ipi"}, 2},
      {"modify-types-reclaim", {}, 0, 1},
      {"eaug-reclaim", {}, 0, 1},
      {"eaug-reclaim", {"bug.eaug-skips-load-secs"}, 0, 1},
      {"remove", {}, 1, 1, 11},
      {"remove", {"bug.remove-pages-skips-probe"}, 1},
  };
}

Entry file_entry(std::shared_ptr<const file::FlowFile> f, std::vector<std::string> switches) {
  Entry e{f->name, std::move(switches), f->enclave_threads, f->pages, f->depth, f};
  return e;
}

Variant variant_of(const Entry& e) {
  Variant v;
  for (const std::string& s : e.switches) {
    const std::string why = set_switch(v, s);
    if (!why.empty()) throw std::invalid_argument(why);
  }
  return v;
}

namespace {

// Each thread's steps when it runs alone, plus an AEX and its ERESUME per enclave
// thread: every thread can end within this many steps of the whole system.
size_t default_bound(const System& sys) {
  const C d;
  size_t bound = 0;
  for (size_t t = 0; t < sys.threads.size(); ++t) {
    World<C> w = sys.initial;
    while (ready(d, sys, w, t)) {
      w = step(d, sys, w, t);
      ++bound;
    }
    if (!ended(d, sys, w, t))
      throw std::logic_error(sys.threads[t].name + " does not end when it runs alone");
  }
  return bound + 2 * (sys.threads.size() - 1);
}

}  // namespace

Built build_entry(const Entry& e, const RunSizes& sizes) {
  const size_t pages = sizes.pages.value_or(e.pages);
  const size_t enclave_threads = sizes.enclave_threads.value_or(e.enclave_threads);
  const Layout l = e.file ? file_layout(*e.file, pages, enclave_threads)
                          : layout_for(e.flow, pages, enclave_threads);
  const Variant v = variant_of(e);
  return {v, l, e.file ? file_system(e.file, v, l) : build_system(e.flow, v, l)};
}

Row run_entry(const Entry& e, const RunSizes& sizes,
              const std::function<void(size_t, size_t)>& progress, const std::atomic<bool>* stop) {
  Built b = build_entry(e, sizes);
  Row r{e, describe(b.variant), 0, 0, b.layout, std::move(b.system), {}};
  r.threads = r.system.threads.size();
  const size_t asked = sizes.depth.value_or(e.depth);
  r.bound = asked != 0 ? asked : default_bound(r.system);
  const size_t bound = r.bound;
  r.result = run_check(r.system, bound, [&](size_t depth) {
    if (progress) progress(depth, bound);
  }, sizes.prove ? std::optional(sizes.prove_seconds) : std::nullopt, stop);
  return r;
}

std::vector<Row> run_entries(const std::vector<Entry>& entries, const RunSizes& sizes,
                             size_t jobs, const Progress& progress) {
  std::vector<Row> rows(entries.size());
  std::atomic<size_t> next{0};
  std::mutex report;  // one progress call at a time
  std::exception_ptr failed;
  const auto work = [&] {
    for (size_t i = next++; i < entries.size() && !failed; i = next++) {
      try {
        rows[i] = run_entry(entries[i], sizes, [&](size_t depth, size_t bound) {
          const std::lock_guard<std::mutex> l(report);
          if (progress.depth) progress.depth(i, depth, bound);
        });
        const std::lock_guard<std::mutex> l(report);
        if (progress.done) progress.done(i, rows[i]);
      } catch (...) {
        const std::lock_guard<std::mutex> l(report);
        if (!failed) failed = std::current_exception();
      }
    }
  };
  std::vector<std::thread> workers;
  for (size_t j = 1; j < std::max<size_t>(jobs, 1); ++j) workers.emplace_back(work);
  work();
  for (std::thread& t : workers) t.join();
  if (failed) std::rethrow_exception(failed);
  return rows;
}

const char* verdict_name(Verdict3 v) {
  switch (v) {
    case Verdict3::kSafe:
      return "SAFE";
    case Verdict3::kUnsafe:
      return "UNSAFE";
    case Verdict3::kVacuous:
      return "VACUOUS";
    case Verdict3::kProven:
      return "PROVEN";
    case Verdict3::kUnknown:
      return "UNKNOWN";
  }
  return "?";
}

std::string verdict_text(const Row& r) {
  const std::string safe = "SAFE to depth " + std::to_string(r.result.depth);
  switch (r.result.verdict) {
    case Verdict3::kSafe:
      return safe;
    case Verdict3::kUnknown:
      return "UNKNOWN (" + safe + ")";
    default:
      return verdict_name(r.result.verdict);
  }
}

}  // namespace sgxref::proofs::flows
