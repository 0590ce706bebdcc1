#include "uapi_interleavings/interleaving_run.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>

#include "driver/encl.h"
#include "driver/epc_cgroup.h"
#include "driver/main.h"
#include "hw/inspect.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "sched/controlled.h"
#include "sched/scheduler.h"
#include "sched/strategy.h"
#include "sched/thread.h"
#include "sched/thread_annotations.h"
#include "uapi/mapping.h"
#include "uapi/tcs.h"
#include "uapi_conformance/uapi_describe.h"

namespace sgxref::props {

namespace {

constexpr uint64_t kPage = mu::kPage;
// D6's bounds. A command's own steps include its spins on a page the reclaimer holds,
// each a yield that lets the reclaimer go first; the longest seen is far below these.
constexpr uint64_t kOwnSteps = 50'000;
constexpr uint64_t kRunSteps = 2'000'000;
// PCT's estimate of a run's length (its decisions), from the runs at CI's seed.
constexpr int kPctSteps = 4000;
// Controlled's ids: the run's main thread, then the workers, then the reclaimer.
constexpr int kReclaimerId = kWorkers + 1;
const char* const kWorkerNames[kWorkers] = {"worker.0", "worker.1", "worker.2"};

uint8_t rwx(const hw::EpcmEntry& e) {
  return uint8_t((e.r ? mu::prot::kR : 0) | (e.w ? mu::prot::kW : 0) | (e.x ? mu::prot::kX : 0));
}

const mu::Page* page_at(const mu::Enclave& e, uint64_t off) {
  const auto it = e.pages.find(off);
  return it == e.pages.end() ? nullptr : &it->second;
}

bool same_epcm(const hw::EpcmEntry& e, const mu::Page* p) {
  return int64_t(e.type) == p->type && rwx(e) == p->rights &&
         e.pending == p->pending && e.modified == p->modified && e.pr == p->pr;
}

bool same_record(const driver::EnclPage& rec, const mu::Page* p) {
  return int64_t(rec.type) == p->type && rec.vm_max_prot_bits == p->max_prot;
}

std::string show(const WorkerCommand& c) {
  std::ostringstream os;
  os << c;
  return os.str();
}

class Interleaving {
 public:
  Interleaving(DriverWorld& world, const InterleavedCase& c)
      : world_(world),
        case_(c),
        encl_(world.encl()),
        build_encl_(world.build_encl()),
        expected_(world.initial_model()),
        flight_(kWorkers),
        group_ceiling_(std::max(world.group().max(), world.group().current())) {
    for (int w = 0; w < kWorkers; ++w) territories_.push_back(territory(expected_, w));
  }

  InterleavingResult run();

 private:
  class Checking;

  // A worker's command between its start and the model's update after it.
  struct InFlight {
    bool active = false;
    bool ioctl = false;
    mu::Enclave after;        // the model's state after the command, as it started
    bool saw_ioctl = false;   // another worker was inside an SGX2 ioctl meanwhile
    bool saw_reclaim = false;  // the reclaimer ran meanwhile
    uint64_t own_steps = 0;
  };

  void worker(int w);
  void reclaimer();
  bool run_command(int w, size_t i);
  std::string judge_ioctl(const WorkerCommand& c, const mu::IoctlOutcome& want,
                          const mu::IoctlOutcome& got, const InFlight& f);
  std::string at_decision(const sched::Decision& d);
  void check_pages(std::ostream& d);
  void check_quiescent(std::ostream& d);
  void fail(std::string what) { failures_.push_back(std::move(what)); }

  DriverWorld& world_;
  const InterleavedCase& case_;
  driver::Encl& encl_;
  driver::Encl& build_encl_;
  std::vector<Territory> territories_;
  // Everything below is touched by the run's threads and its strategy one at a time:
  // the controlled run passes a baton.
  mu::Enclave expected_;  // after every command that has returned
  std::vector<InFlight> flight_;
  int ioctls_running_ = 0;
  bool reclaiming_ = false;
  int workers_done_ = 0;
  uint64_t group_ceiling_;  // the group's limit, or its usage while that is above it
  bool ewb_retrying_ = false;  // the reclaimer ETRACKed and has not yet written its page
  bool checks_failed_ = false;
  std::vector<std::string> failures_;
  InterleavingReach reach_;
};

// The case's strategy, with the checks run at each of its decisions first.
class Interleaving::Checking : public sched::Strategy {
 public:
  Checking(Interleaving& run, std::unique_ptr<sched::Strategy> inner)
      : run_(run), inner_(std::move(inner)) {}

  sched::Pick pick(const sched::Decision& d) override {
    const std::string stop = run_.at_decision(d);
    sched::Pick p = inner_->pick(d);
    if (!stop.empty()) p.divergence = stop;
    return p;
  }

 private:
  Interleaving& run_;
  std::unique_ptr<sched::Strategy> inner_;
};

InterleavingResult Interleaving::run() {
  hw::Machine& m = world_.fixture().machine();
  const hw::Counters before = hw::Inspector(m).counters();
  const uint64_t events = world_.group().events_local();
  std::unique_ptr<sched::Strategy> s =
      case_.pct ? sched::pct(case_.seed, case_.depth, kPctSteps) : sched::random(case_.seed);
  sched::Controlled controlled(std::make_unique<Checking>(*this, std::move(s)));
  InterleavingResult r;
  r.outcome = controlled.run([this] {
    std::vector<std::unique_ptr<sched::Thread>> threads;
    for (int w = 0; w < kWorkers; ++w) {
      threads.push_back(std::make_unique<sched::Thread>(kWorkerNames[w], [this, w] { worker(w); }));
    }
    threads.push_back(std::make_unique<sched::Thread>("reclaimer", [this] { reclaimer(); }));
    for (auto& t : threads) t->join();
  });
  const hw::Counters after = hw::Inspector(m).counters();
  reach_.evictions = after.evictions - before.evictions;
  reach_.aex_interrupts = after.interrupts - before.interrupts;
  reach_.group_events = world_.group().events_local() - events;
  r.failures = failures_;
  r.model = expected_;
  r.reach = reach_;
  return r;
}

void Interleaving::worker(int w) {
  kernel::Task task(world_.fixture().process(), kWorkerNames[w]);
  kernel::TaskScope scope(task);
  for (size_t i = 0; i < case_.workers[w].size() && run_command(w, i); ++i) {
  }
  ++workers_done_;
}

// Each command runs on the model twice: on a copy as it starts (the state the checks
// allow beside the current one while it runs), and on the model itself once its
// answer is judged, so that what other workers changed meanwhile stays.
bool Interleaving::run_command(int w, size_t i) {
  using K = WorkerCommand::Kind;
  const WorkerCommand& c = case_.workers[w][i];
  const uint64_t tcs = DriverWorld::tcs(w);
  InFlight& f = flight_[w];
  f.after = expected_;
  f.saw_ioctl = f.saw_reclaim = false;
  f.own_steps = 0;
  f.active = true;
  std::string wrong;
  switch (c.kind) {
    case K::kIoctl: {
      const mu::IoctlOutcome want = DriverWorld::on_model(f.after, c.which, c.args);
      f.ioctl = true;
      ++ioctls_running_;
      const mu::IoctlOutcome got = world_.ioctl(w, c.which, c.args);
      --ioctls_running_;
      wrong = judge_ioctl(c, want, got, f);
      break;
    }
    case K::kEnter:
    case K::kResume: {
      const bool enter = c.kind == K::kEnter;
      const mu::OpOutcome want = enter ? mu::enter(f.after, tcs, c.op) : mu::resume(f.after, tcs);
      const DriverWorld::Run got = enter ? world_.enter(w, c.op) : world_.resume(w);
      if (mu::allows(want, got.outcome)) {
        (void)(enter ? mu::enter(expected_, tcs, c.op) : mu::resume(expected_, tcs));
      } else {
        wrong = "driver " + describe(got.outcome) + ", model " + describe(want);
      }
      break;
    }
    case K::kMprotect: {
      const long want = mu::mprotect(f.after, c.offset, c.length, c.rights);
      const long got = world_.mprotect(c.offset, c.length, c.rights);
      if (got == want) {
        (void)mu::mprotect(expected_, c.offset, c.length, c.rights);
      } else {
        wrong = "driver " + std::to_string(got) + ", model " + std::to_string(want);
      }
      break;
    }
  }
  f.active = false;
  f.ioctl = false;
  if (wrong.empty()) return true;
  fail("worker " + std::to_string(w) + ", command " + std::to_string(i) + " " + show(c) + ": " +
       wrong);
  return false;
}

// The model's answer, or one whose cause the run saw: -EBUSY (nothing done, nothing
// copied back) while another worker was inside an SGX2 ioctl; -EAGAIN at a page while
// the reclaimer ran, with the pages before it done as the model does them.
std::string Interleaving::judge_ioctl(const WorkerCommand& c, const mu::IoctlOutcome& want,
                                      const mu::IoctlOutcome& got, const InFlight& f) {
  if (got == want) {
    (void)DriverWorld::on_model(expected_, c.which, c.args);
    return "";
  }
  if (got == mu::busy(c.args) && f.saw_ioctl) {
    ++reach_.ebusy;
    return "";
  }
  const bool stopped = got.ret == mu::err::kAgain || got.ret == mu::err::kBusy;
  if (stopped && f.saw_reclaim && got.count % kPage == 0 && got.count < c.args.length) {
    for (bool marked : {true, false}) {
      mu::Enclave held = expected_;
      if (DriverWorld::on_model(held, c.which, c.args, {got.count, marked}) == got) {
        expected_ = std::move(held);
        ++reach_.held;
        return "";
      }
    }
  }
  return "driver " + describe(got) + ", model " + describe(want) +
         (f.saw_ioctl ? " (or -EBUSY)" : "") +
         (f.saw_reclaim ? " (or an answer at a page the reclaimer held)" : "");
}

void Interleaving::reclaimer() {
  kernel::Task task(world_.fixture().kernel(), "ksgxd");
  kernel::TaskScope scope(task);
  driver::Sgx& sgx = world_.fixture().sgx();
  for (bool all : case_.reclaims) {
    reclaiming_ = true;
    {
      kernel::CpuHold cpu;
      for (int i = 0; i < (all ? 8 : 1) && sgx.lru_pages() > 0; ++i) sgx.reclaim_pages();
    }
    reclaiming_ = false;
    sched::point("interleavings.reclaimer");
  }
  while (workers_done_ < kWorkers) {
    reclaiming_ = true;
    {
      kernel::CpuHold cpu;
      sgx.ksgxd_step();
    }
    reclaiming_ = false;
    sched::yield("interleavings.ksgxd");
  }
}

std::string Interleaving::at_decision(const sched::Decision& d) {
  if (++reach_.decisions > kRunSteps) {
    return "D6: the run did not end within " + std::to_string(kRunSteps) + " decisions";
  }
  const int w = d.current - 1;
  if (w >= 0 && w < kWorkers && flight_[w].active && ++flight_[w].own_steps == kOwnSteps) {
    fail("D6: worker " + std::to_string(w) + "'s command took " + std::to_string(kOwnSteps) +
         " steps of its own");
  }
  const char* point = nullptr;
  for (const sched::Candidate& c : d.runnable) {
    if (c.thread == d.current) point = c.point;
  }
  // The reclaimer ETRACKs only when an EWB answered NOT_TRACKED; an IPI it sends
  // before the next EWB gets through is the second retry (its PTE zaps send IPIs too,
  // but before its EWBs).
  if (d.current == kReclaimerId && point != nullptr) {
    if (std::strcmp(point, "etrack.locked") == 0) {
      ++reach_.etrack_retries;
      ewb_retrying_ = true;
    } else if (std::strcmp(point, "ewb.locked") == 0) {
      ewb_retrying_ = false;
    } else if (std::strcmp(point, "ipi.deliver") == 0 && ewb_retrying_) {
      ++reach_.ipi_retries;
      ewb_retrying_ = false;
    }
  }
  bool quiescent = !reclaiming_;
  for (InFlight& f : flight_) {
    quiescent = quiescent && !f.active;
    if (!f.ioctl) continue;
    f.saw_ioctl = f.saw_ioctl || ioctls_running_ >= 2;
    f.saw_reclaim = f.saw_reclaim || reclaiming_;
  }
  if (checks_failed_) return "";
  std::ostringstream diff;
  if (world_.fixture().sgx().warnings() != 0) diff << "D1: the driver WARNed\n";
  check_pages(diff);
  if (quiescent) {
    ++reach_.quiescent_checks;
    check_quiescent(diff);
  }
  if (!diff.str().empty()) {
    checks_failed_ = true;
    fail("at decision " + std::to_string(reach_.decisions) + " (thread " +
         std::to_string(d.current) + " at " + (point != nullptr ? point : "its end") + "):\n" +
         diff.str());
  }
  return "";
}

// D2 and D3 on each worker's pages: the record, EPCM entry and bytes as the model has
// them before the worker's command in flight, or after it; each TCS's CSSA.
void Interleaving::check_pages(std::ostream& d) NO_THREAD_SAFETY_ANALYSIS {
  hw::Machine& m = world_.fixture().machine();
  hw::Inspector in(m);
  const uint64_t base = world_.base();
  d << std::hex;
  // A page that appears does so by EAUG, first of the operation that touched it.
  const mu::Page fresh = mu::augmented_page();
  for (int w = 0; w < kWorkers; ++w) {
    const InFlight& f = flight_[w];
    for (uint64_t off : territories_[w].pages) {
      const mu::Page* before = page_at(expected_, off);
      const std::vector<const mu::Page*> allowed = {
          before, f.active ? page_at(f.after, off) : nullptr,
          f.active && before == nullptr ? &fresh : nullptr};
      const auto any = [&](auto same) {
        for (const mu::Page* p : allowed) {
          if (p != nullptr && same(p)) return true;
        }
        return false;
      };
      const auto it = encl_.page_array.find((base + off) >> hw::kPageShift);
      if (it == encl_.page_array.end()) {
        if (before != nullptr && (!f.active || allowed[1] != nullptr)) {
          d << "page 0x" << off << ": no record\n";
        }
        continue;
      }
      const driver::EnclPage& rec = *it->second;
      if (!any([&](const mu::Page* p) { return same_record(rec, p); })) {
        d << "page 0x" << off << ": record type " << int(rec.type) << " vm_max_prot_bits "
          << rec.vm_max_prot_bits << ", not the model's\n";
      }
      if (rec.epc_page == nullptr) continue;
      const uint32_t slot = *m.epc_slot(rec.epc_page->addr);
      const hw::EpcmEntry e = in.epcm_at_decision(slot);
      if (!e.valid) continue;  // written out, or not yet added
      if (e.enclave_address != base + off) {
        d << "page 0x" << off << ": its EPC page holds 0x" << e.enclave_address << "\n";
        continue;
      }
      if (!any([&](const mu::Page* p) { return same_epcm(e, p); })) {
        d << "page 0x" << off << ": EPCM type " << int(e.type) << " rwx " << int(rwx(e))
          << " pending " << e.pending << " modified " << e.modified << " pr " << e.pr
          << ", not the model's\n";
      }
      const uint8_t* bytes = in.page(slot);
      if (!any([&](const mu::Page* p) { return std::memcmp(bytes, p->bytes.data(), kPage) == 0; })) {
        d << "page 0x" << off << ": bytes not the model's\n";
      }
    }
    if (f.active) continue;
    const uint64_t tcs = DriverWorld::tcs(w);
    const auto it = encl_.page_array.find((base + tcs) >> hw::kPageShift);
    if (it == encl_.page_array.end() || it->second->epc_page == nullptr) continue;
    const uint32_t slot = *m.epc_slot(it->second->epc_page->addr);
    if (!in.epcm_at_decision(slot).valid) continue;
    uapi::Tcs t;
    std::memcpy(&t, in.page(slot), sizeof t);
    if ((t.ssa_index != 0) != (expected_.stopped.count(tcs) != 0)) {
      d << "TCS #" << w + 1 << ": CSSA " << t.ssa_index << ", not the model's\n";
    }
  }
  d << std::dec;
}

// D5, with no command in flight and the reclaimer between steps.
void Interleaving::check_quiescent(std::ostream& d) NO_THREAD_SAFETY_ANALYSIS {
  hw::Machine& m = world_.fixture().machine();
  hw::Inspector in(m);
  driver::Sgx& sgx = world_.fixture().sgx();
  uint64_t in_use = 0;
  for (driver::Encl* encl : {&encl_, &build_encl_}) {
    if (encl->secs.epc_page != nullptr) ++in_use;
    for (const auto& va : encl->va_pages) in_use += va->epc_page != nullptr ? 1 : 0;
    uint64_t resident = 0;
    for (const auto& [pfn, page] : encl->page_array) {
      if (page->epc_page == nullptr) continue;
      ++resident;
      const hw::EpcmEntry e = in.epcm_at_decision(*m.epc_slot(page->epc_page->addr));
      if (!e.valid || e.blocked || e.enclave_address != page->desc || page->being_reclaimed) {
        d << "D5: page 0x" << std::hex << page->desc << std::dec << ": EPCM valid " << e.valid
          << " blocked " << e.blocked << " being reclaimed " << page->being_reclaimed << "\n";
      }
    }
    in_use += resident;
    if (resident != encl->secs_child_cnt) {
      d << "D5: " << resident << " children resident, secs_child_cnt " << encl->secs_child_cnt
        << "\n";
    }
    if (resident > 0 && encl->secs.epc_page == nullptr) {
      d << "D5: " << resident << " children resident without their SECS\n";
    }
  }
  if (in_use + sgx.nr_free_pages() != sgx.total_pages()) {
    d << "D5: " << in_use << " EPC pages in use and " << sgx.nr_free_pages() << " free, of "
      << sgx.total_pages() << "\n";
  }
  // A lower limit takes nothing back, but no charge may be made above it.
  const uint64_t charged = world_.group().current();
  if (charged > group_ceiling_) {
    d << "D5: the group is charged " << charged << ", over " << group_ceiling_ << "\n";
  }
  group_ceiling_ = std::max(world_.group().max(), std::min(group_ceiling_, charged));
  if (sgx.cgroups().root().current() != in_use) {
    d << "D5: the root group is charged " << sgx.cgroups().root().current() << ", the enclaves hold "
      << in_use << "\n";
  }
}

}  // namespace

InterleavingResult run_interleaved(DriverWorld& world, const InterleavedCase& c) {
  return Interleaving(world, c).run();
}

}  // namespace sgxref::props
