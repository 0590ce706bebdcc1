// The uapi conformance step (props/uapi_conformance): a command run on the driver and
// on model/uapi, the outcomes compared and the driver's state checked against the
// model's (page records, EPCM, bytes, CSSA, WARNs), as the property does after every
// command, without RapidCheck around it:
//
//   rate uapi_conformance_cmds_per_s  conformance steps per second: how many commands a
//     CI minute buys.
//   conformance_step/driver_step  the same commands on the driver alone: what checking
//     each step costs over running it.
//
// Both replay the same command sequences, drawn once before timing from a fixed seed
// with the property's mix (EENTER with loads, stores, EACCEPT of what a page asks for,
// EMODPE; the three SGX2 ioctls; mprotect; reclaim), 64 commands to a sequence; between
// sequences the enclave is built afresh, untimed.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "figures.h"
#include "uapi/enclave_ops.h"
#include "uapi/enclave_state.h"
#include "uapi/mapping.h"
#include "uapi/sgx2_ioctls.h"
#include "uapi_conformance/driver_world.h"

namespace {

namespace mu = sgxref::model::uapi;
using sgxref::props::DriverWorld;

static const sgxref::bench::Rate kRate("uapi_conformance_cmds_per_s", "BM_UapiConformanceStep");
static const sgxref::bench::Ratio kRatio("conformance_step/driver_step", "BM_UapiConformanceStep",
                                         "BM_UapiDriverStep");

constexpr int kSequences = 16;
constexpr int kCommands = 64;

struct Command {
  enum class Kind { kEnter, kIoctl, kMprotect, kReclaim };
  Kind kind = Kind::kEnter;
  int thread = 0;
  mu::EnclaveOp op;
  DriverWorld::Sgx2 which = DriverWorld::Sgx2::kRestrict;
  mu::Sgx2Args args;
  uint8_t rights = 0;
};

struct Rng {
  std::mt19937_64 g{0x5EED0010};
  uint64_t below(uint64_t n) { return g() % n; }
};

Command pick(Rng& r, const mu::Enclave& m) {
  using K = mu::EnclaveOp::Kind;
  const uint64_t pages = (m.size - m.first) / mu::kPage;
  const uint64_t page = m.first + r.below(pages) * mu::kPage;
  Command c;
  switch (r.below(8)) {
    case 0:
    case 1:
      c.kind = Command::Kind::kIoctl;
      c.which = DriverWorld::Sgx2(r.below(3));
      c.args = {page, (1 + r.below(3)) * mu::kPage,
                c.which == DriverWorld::Sgx2::kModifyTypes ? uint64_t(mu::pt::kTrim) : r.below(8),
                0, 0, false};
      if (c.args.offset + c.args.length > m.size) c.args.length = m.size - c.args.offset;
      return c;
    case 2:
      c.kind = Command::Kind::kMprotect;
      c.args = {page, mu::kPage};
      c.rights = r.below(2) == 0 ? mu::prot::kRwx : uint8_t(r.below(8));
      return c;
    case 3:
      c.kind = Command::Kind::kReclaim;
      return c;
    default: {
      c.kind = Command::Kind::kEnter;
      c.thread = int(r.below(DriverWorld::kThreads));
      constexpr K kKinds[] = {K::kLoad, K::kStore, K::kEaccept, K::kEmodpe};
      const K kind = kKinds[r.below(4)];
      uint64_t arg = r.g();
      if (kind == K::kEaccept) {
        const auto it = m.pages.find(page);
        const mu::Page p = it != m.pages.end() ? it->second : mu::augmented_page();
        arg = mu::secinfo::type(p.type) | p.rights | (p.pending ? mu::secinfo::kPending : 0) |
              (p.modified ? mu::secinfo::kModified : 0) | (p.pr ? mu::secinfo::kPr : 0);
      } else if (kind == K::kEmodpe) {
        arg = r.below(8);
      }
      c.op = {kind, page + (kind == K::kLoad || kind == K::kStore ? 8 * r.below(512) : 0), arg, 0};
      return c;
    }
  }
}

// One command on the driver and, given a model, on it too with every check the property
// makes. False if they disagree.
bool step(DriverWorld& w, mu::Enclave* m, const Command& c) {
  switch (c.kind) {
    case Command::Kind::kEnter: {
      const DriverWorld::Run got = w.enter(c.thread, c.op);
      if (m == nullptr) break;
      if (!mu::allows(mu::enter(*m, DriverWorld::tcs(c.thread), c.op), got.outcome)) return false;
      break;
    }
    case Command::Kind::kIoctl: {
      const mu::IoctlOutcome got = w.ioctl(0, c.which, c.args);
      if (m != nullptr && !(got == DriverWorld::on_model(*m, c.which, c.args))) return false;
      break;
    }
    case Command::Kind::kMprotect: {
      const long got = w.mprotect(c.args.offset, c.args.length, c.rights);
      if (m != nullptr && got != mu::mprotect(*m, c.args.offset, c.args.length, c.rights)) {
        return false;
      }
      break;
    }
    case Command::Kind::kReclaim:
      w.reclaim_batch();
      break;
  }
  // The world's second enclave is never built here.
  static const mu::Build kUnbuilt;
  return m == nullptr || w.differences(*m, kUnbuilt).empty();
}

// The sequences, each drawn against the model as it runs.
const std::vector<std::vector<Command>>& sequences() {
  static const std::vector<std::vector<Command>> all = [] {
    Rng r;
    std::vector<std::vector<Command>> out;
    for (int s = 0; s < kSequences; ++s) {
      DriverWorld w;
      mu::Enclave m = w.initial_model();
      std::vector<Command> seq;
      for (int i = 0; i < kCommands; ++i) {
        seq.push_back(pick(r, m));
        (void)step(w, &m, seq.back());
      }
      out.push_back(std::move(seq));
    }
    return out;
  }();
  return all;
}

void run(benchmark::State& state, bool check) {
  const auto& seqs = sequences();
  std::unique_ptr<DriverWorld> w;
  mu::Enclave m;
  size_t s = 0;
  size_t i = kCommands;
  for (auto _ : state) {
    if (i == kCommands) {
      state.PauseTiming();
      w.reset();
      w = std::make_unique<DriverWorld>();
      m = w->initial_model();
      s = (s + 1) % seqs.size();
      i = 0;
      state.ResumeTiming();
    }
    if (!step(*w, check ? &m : nullptr, seqs[s][i++])) {
      state.SkipWithError("the driver and model/uapi disagree: run the props suite");
      break;
    }
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}

void BM_UapiConformanceStep(benchmark::State& state) { run(state, true); }
BENCHMARK(BM_UapiConformanceStep);

void BM_UapiDriverStep(benchmark::State& state) { run(state, false); }
BENCHMARK(BM_UapiDriverStep);

}  // namespace
