#include "flows/catalogue_run.h"

#include <stdexcept>

#include "flows/catalogue.h"

namespace sgxref::proofs::flows {

std::vector<Entry> catalogue() {
  return {
      {"restrict", {}, 2},
      {"restrict", {"restrict.etrack=batched"}, 2},
      {"restrict", {"restrict.lock=whole-range"}, 2},
      {"restrict", {"restrict.etrack=batched", "restrict.lock=whole-range"}, 2},
      {"restrict", {"bug.restrict-skips-etrack"}, 1},
      {"restrict", {"bug.restrict-skips-ipi"}, 2},
  };
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

Row run_entry(const Entry& e, const RunSizes& sizes) {
  Layout l;
  l.data_pages = sizes.pages;
  l.enclave_threads = sizes.enclave_threads != 0 ? sizes.enclave_threads : e.enclave_threads;
  const Variant v = variant_of(e);
  Row r{e, describe(v), 0, 0, l, build_system(e.flow, v, l), {}};
  r.threads = r.system.threads.size();
  r.bound = sizes.depth != 0 ? sizes.depth : default_bound(r.system);
  r.result = run_check(r.system, r.bound);
  return r;
}

std::string verdict_text(const Row& r) {
  switch (r.result.verdict) {
    case Verdict3::kSafe:
      return "SAFE to depth " + std::to_string(r.result.depth);
    case Verdict3::kUnsafe:
      return "UNSAFE";
    case Verdict3::kVacuous:
      return "VACUOUS";
  }
  return "?";
}

}  // namespace sgxref::proofs::flows
