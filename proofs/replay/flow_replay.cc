#include "replay/flow_replay.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "flows/properties.h"
#include "flows/random_run.h"
#include "kernel/errno.h"
#include "uapi/sgx_code.h"

namespace sgxref::proofs::replay {

namespace {


using flows::World;

// A property of flows/properties.h by its number ("D1").
std::string property_named(const std::string& number) {
  for (const flows::Property& p : flows::properties()) {
    if (p.name.rfind(number + " ", 0) == 0) return p.name;
  }
  throw std::logic_error("no property " + number);
}

long errno_of(int64_t rv) {
  switch (rv) {
    case flows::ret::kOk:
      return 0;
    case flows::ret::kEinval:
      return -EINVAL;
    case flows::ret::kEfault:
      return -EFAULT;
    case flows::ret::kEagain:
      return -EAGAIN;
    case flows::ret::kEperm:
      return -EPERM;
  }
  throw std::logic_error("a flow returned an unknown value");
}

bool ended(const flows::System& sys, const World<C>& w, size_t t) {
  return flows::ended(C{}, sys, w, t);
}

// By enclave thread of the run (in flow order), by data page: whether the flow answered
// that page's EACCEPT in an entry after the ioctl returned.
std::vector<std::vector<bool>> answered_after(const flows::System& sys, const std::vector<Role>& roles,
                                              const std::vector<flows::FlowStep>& steps,
                                              const std::vector<World<C>>& worlds, size_t pages) {
  std::vector<std::vector<bool>> after;
  std::vector<size_t> which(roles.size(), 0);
  for (size_t t = 0; t < roles.size(); ++t) {
    if (roles[t] != Role::kEnclaveThread) continue;
    which[t] = after.size();
    after.emplace_back(pages, false);
  }
  for (size_t k = 0; k < steps.size(); ++k) {
    const size_t t = steps[k].thread;
    if (t >= sys.threads.size() || roles[t] != Role::kEnclaveThread) continue;
    const flows::Thread<C>& before = worlds[k].th[t];
    const flows::Thread<C>& now = worlds[k + 1].th[t];
    if (now.index == before.index + 1 && size_t(before.index) < pages)
      after[which[t]][size_t(before.index)] = now.after;
  }
  return after;
}

// D3 for RESTRICT_PERMISSIONS and MODIFY_TYPES: pages before `count` changed (read-only,
// or TRIM), the rest as built (REG RW); a lost page's entry is unknown (its loss is the
// WARN's).
bool change_exact(const DriverOutcome& d, const flows::Layout& l, bool trim) {
  bool exact = true;
  for (size_t i = 0; i < l.data_pages; ++i) {
    if (!d.epcm[i]) continue;
    const hw::EpcmEntry& e = *d.epcm[i];
    const bool reg = e.type == hw::PageType::kReg;
    const bool changed = trim ? e.type == hw::PageType::kTrim : reg && e.r && !e.w && !e.x;
    const bool untouched = reg && e.r && e.w && !e.x;
    exact = exact && (i < d.count_pages ? changed : untouched);
  }
  return exact;
}

// D3 for REMOVE_PAGES: pages before `count` no longer trimmed (removed, or a fresh page
// an enclave thread's fault EAUGed there since), the rest still TRIM.
bool removal_exact(const DriverOutcome& d, const flows::Layout& l) {
  bool exact = true;
  for (size_t i = 0; i < l.data_pages; ++i) {
    const bool trim = d.epcm[i] && d.epcm[i]->type == hw::PageType::kTrim;
    exact = exact && (i < d.count_pages ? !trim : trim);
  }
  return exact;
}

// D4 for RESTRICT_PERMISSIONS and MODIFY_TYPES: an EACCEPT in an entry after the return
// answered SGX_NOT_TRACKED for a page before `count`.
bool not_tracked_after(const DriverOutcome& d, const flows::Layout& l,
                       const std::vector<std::vector<bool>>& after) {
  for (size_t e = 0; e < after.size(); ++e) {
    for (size_t i = 0; i < l.data_pages; ++i) {
      if (after[e][i] && i < d.count_pages && d.accepts[e][i] == uint64_t(uapi::SgxCode::kNotTracked))
        return true;
    }
  }
  return false;
}

// D4 for REMOVE_PAGES: a page before `count` whose trim no enclave thread EACCEPTed: it
// went first (an EACCEPT after the removal meets the fresh page the fault EAUGs there,
// which does not take a TRIM SECINFO).
bool removed_unaccepted(const DriverOutcome& d, const flows::Layout& l) {
  for (size_t i = 0; i < l.data_pages && i < d.count_pages; ++i) {
    bool accepted = false;
    for (const std::vector<uint64_t>& answers : d.accepts) accepted = accepted || answers[i] == 0;
    if (!accepted) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> flow_points(const flows::System& sys) {
  std::vector<std::string> points = {
      "start",        "encl->lock", "eldu.end", "emodpr.end", "emodt.end",   "etrack.end",  "ipi_mask.end",
      "eblock.end",   "ewb.end",    "eenter.end", "eresume.end", "eaccept.end", "eexit.end", "eaug.end"};
  for (const flows::Program& p : sys.threads) {
    for (const flows::Instr& i : p.instrs) {
      if (!i.point.empty() && std::find(points.begin(), points.end(), i.point) == points.end())
        points.push_back(i.point);
    }
  }
  return points;
}

std::vector<Role> roles_of(const flows::System& sys, const flows::Layout& l) {
  std::vector<Role> roles;
  for (size_t t = 0; t < sys.threads.size(); ++t) {
    const std::string& name = sys.threads[t].name;
    const Role r = t == 0 ? (name == "MODIFY_TYPES"   ? Role::kModifyTypesIoctl
                             : name == "REMOVE_PAGES" ? Role::kRemoveIoctl
                             : name == "EAUG fault"   ? Role::kEaugFault
                                                      : Role::kRestrictIoctl)
                   : t == 1 && l.reclaimer ? Role::kKsgxd
                                           : Role::kEnclaveThread;
    const char* want = r == Role::kRestrictIoctl      ? "RESTRICT_PERMISSIONS"
                       : r == Role::kModifyTypesIoctl ? "MODIFY_TYPES"
                       : r == Role::kRemoveIoctl      ? "REMOVE_PAGES"
                       : r == Role::kEaugFault        ? "EAUG fault"
                       : r == Role::kKsgxd            ? "ksgxd"
                                                      : "enclave thread";
    if (name.rfind(want, 0) != 0)
      throw std::logic_error("replay: thread " + std::to_string(t) + " is " + name + ", not " + want);
    roles.push_back(r);
  }
  return roles;
}

sched::Schedule plan_of(const flows::System& sys, const std::vector<flows::FlowStep>& steps,
                        const std::vector<World<C>>& worlds) {
  const size_t n = sys.threads.size();
  sched::Schedule plan{{0, "start"}};
  std::vector<std::string> from(n, "start");
  std::vector<bool> open(n, false);
  for (size_t k = 0; k < steps.size(); ++k) {
    const size_t t = steps[k].thread;
    if (t >= n) continue;  // no thread could move
    const int id = int(t) + 1;
    const bool done = ended(sys, worlds[k + 1], t);
    if (steps[k].point.empty() != bool(worlds[k + 1].th[t].off_point))
      throw std::logic_error("replay: step " + std::to_string(k + 1) + " of " + sys.threads[t].name +
                             " names a point but ends at none, or the other way round");
    if (!open[t]) plan.push_back({id, from[t]});
    // A step that ends at no point runs on into the thread's next step, or to its end.
    open[t] = steps[k].point.empty();
    if (open[t]) continue;
    from[t] = steps[k].point;
    if (done) plan.push_back({id, from[t]});
  }
  return plan;
}

std::string ReplayResult::report() const {
  std::ostringstream os;
  if (followed) {
    os << "the driver followed the plan of " << plan.size() << " steps";
  } else {
    os << "the driver did not follow the plan: " << driver.run.report();
  }
  if (driver.ioctl_returned) os << "; the ioctl returned " << driver.rv << ", count " << driver.count_pages;
  if (driver.fault_returned) os << "; the EAUG fault " << (driver.hole_mapped ? "mapped the hole" : "was SIGBUS");
  for (const auto& [what, n] : driver.warnings) os << "; WARN " << what << " x" << n;
  for (size_t i = 0; i < driver.epcm.size(); ++i) {
    if (!driver.epcm[i]) os << "; data page " << i << (driver.removed[i] ? " removed" : " lost");
  }
  for (size_t e = 0; e < driver.accepts.size(); ++e) {
    os << "; enclave thread " << e + 1 << " EACCEPT";
    for (uint64_t a : driver.accepts[e]) {
      os << ' ' << (a == kNoAnswer ? "-" : uapi::to_string(uapi::SgxCode(a)));
    }
  }
  for (const std::string& b : broken) os << "; broke " << b;
  for (const std::string& m : mismatches) os << "; " << m;
  return os.str();
}

ReplayResult replay_on_driver(const flows::System& sys, const flows::Layout& l,
                              const flows::Variant& v, const std::vector<flows::FlowStep>& steps,
                              bool states) {
  const std::vector<World<C>> worlds = flows::rerun(sys, steps);
  const std::vector<Role> roles = roles_of(sys, l);
  ReplayResult r;
  r.plan = plan_of(sys, steps, worlds);
  ReplayMachine machine(l, v.alt, roles.at(0));
  r.driver = machine.run(roles, r.plan, flow_points(sys), states);
  r.followed = r.driver.run.completed();
  if (!r.followed) return r;

  const DriverOutcome& d = r.driver;
  if (!d.warnings.empty()) r.broken.push_back(property_named("D1"));
  const bool remove = roles.at(0) == Role::kRemoveIoctl;
  if (!(remove ? removal_exact(d, l) : change_exact(d, l, roles.at(0) == Role::kModifyTypesIoctl)))
    r.broken.push_back(property_named("D3"));
  const bool promise_broken = remove ? removed_unaccepted(d, l)
                                     : not_tracked_after(d, l, answered_after(sys, roles, steps, worlds, l.data_pages));
  if (promise_broken) r.broken.push_back(property_named("D4"));

  const World<C>& last = worlds.back();
  if (roles.at(0) == Role::kEaugFault) {
    const bool mapped = last.th[0].rv == flows::ret::kOk;
    if (ended(sys, last, 0) && d.hole_mapped != mapped) {
      r.mismatches.push_back(std::string("the flow's EAUG fault ") + (mapped ? "mapped the hole" : "was SIGBUS") +
                             "; the driver's " + (d.hole_mapped ? "mapped it" : "was SIGBUS"));
    }
  } else if (ended(sys, last, 0)) {
    const long want = errno_of(last.th[0].rv);
    if (d.rv != want || d.count_pages != uint64_t(last.th[0].count)) {
      r.mismatches.push_back("the flow's ioctl returned " + std::to_string(want) + ", count " +
                             std::to_string(last.th[0].count) + "; the driver's " +
                             std::to_string(d.rv) + ", count " + std::to_string(d.count_pages));
    }
  }
  return r;
}

std::vector<ReplayResult> replay_random_runs(const flows::System& sys, const flows::Layout& l,
                                             const flows::Variant& v, uint64_t seeds, size_t max_steps) {
  std::vector<ReplayResult> out;
  for (uint64_t seed = 1; seed <= seeds; ++seed)
    out.push_back(replay_on_driver(sys, l, v, flows::random_run(sys, seed, max_steps)));
  return out;
}

}  // namespace sgxref::proofs::replay
