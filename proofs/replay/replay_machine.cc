#include "replay/replay_machine.h"

#include <cstddef>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "driver/driver.h"
#include "driver/encl.h"
#include "driver/main.h"
#include "hw/config.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/process.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "kernel/user_mode.h"
#include "kernel/vm_flags.h"
#include "flows/modify_ioctl.h"
#include "replay/replay_enclave.h"
#include "sched/controlled.h"
#include "sched/strategy.h"
#include "sched/thread.h"
#include "sched/thread_annotations.h"
#include "testlib/test_signing_key.h"
#include "uapi/enclave_run.h"
#include "uapi/page_type.h"
#include "uapi/sgx_ioctl.h"
#include "user/enclave_loader.h"
#include "user/vsgx.h"

namespace sgxref::proofs::replay {

struct ReplayMachine::Parts {
  flows::Layout l;
  std::unique_ptr<hw::Machine> m;
  std::unique_ptr<kernel::Kernel> k;
  std::unique_ptr<kernel::Task> boot;
  std::unique_ptr<kernel::TaskScope> boot_scope;
  std::unique_ptr<driver::SgxDriver> d;
  std::unique_ptr<kernel::Process> p;
  std::unique_ptr<kernel::Task> task;
  std::unique_ptr<kernel::TaskScope> scope;
  user::LoadedEnclave e;
  Role ioctl = Role::kRestrictIoctl;
  hw::LAddr arg = 0;                // the ioctl's argument
  std::vector<hw::LAddr> accepts;   // each enclave thread's answers
  bool ran = false;

  // Kept from the load: state() runs inside the scheduler's decision, where taking the
  // process's file table lock (a scheduling point) would wait on the scheduler itself.
  driver::Encl* encl_ = nullptr;

  hw::LAddr page(int64_t number) const { return e.base + uint64_t(number) * kPage; }
  driver::Encl& encl() const { return *encl_; }
  driver::Sgx& sgx() const { return d->sgx(); }

  hw::LAddr user_page() {
    const long a = p->mmap(0, kPage, kernel::PROT_READ | kernel::PROT_WRITE,
                           kernel::MAP_PRIVATE | kernel::MAP_ANONYMOUS, -1, 0);
    if (a <= 0) throw std::runtime_error("replay: anonymous mmap failed");
    return hw::LAddr(a);
  }
  void user_write(hw::LAddr a, const void* src, uint64_t n) {
    kernel::CpuHold cpu;
    if (kernel::copy_to_user(a, src, n) != 0) throw std::runtime_error("replay: copy_to_user failed");
  }
  void user_read(hw::LAddr a, void* dst, uint64_t n) {
    kernel::CpuHold cpu;
    if (kernel::copy_from_user(dst, a, n) != 0) throw std::runtime_error("replay: copy_from_user failed");
  }
  // A read of the page from user space: faults it in (loading it back if evicted).
  // False when it cannot be (a page whose write-out failed is lost).
  bool touch(hw::LAddr a) {
    kernel::CpuHold cpu;
    uint8_t b = 0;
    return kernel::user_load(a, &b, 1) == kernel::FaultResult::kHandled;
  }

  void prepare();
  void trim_data_pages();
  std::string state() const;
  void thread_body(Role role, size_t enclave, DriverOutcome& out);
  void collect(DriverOutcome& out);
};

namespace {

// The replay strategy, noting the driver's state each time the plan moves on.
class Observed final : public sched::Strategy {
 public:
  Observed(std::unique_ptr<sched::Strategy> inner, sched::Schedule plan,
           std::function<std::string()> state, std::vector<std::string>* states)
      : inner_(std::move(inner)), plan_(std::move(plan)), state_(std::move(state)), states_(states) {}

  sched::Pick pick(const sched::Decision& d) override {
    const sched::Pick p = inner_->pick(d);
    if (states_ == nullptr || next_ >= plan_.size() || p.thread < 0) return p;
    for (const sched::Candidate& c : d.runnable) {
      if (c.thread == p.thread && c.thread == plan_[next_].thread && c.point == plan_[next_].point) {
        if (next_ > 0) states_->push_back(state_());
        ++next_;
      }
    }
    return p;
  }
  std::string unfinished() const override { return inner_->unfinished(); }

 private:
  std::unique_ptr<sched::Strategy> inner_;
  sched::Schedule plan_;
  std::function<std::string()> state_;
  std::vector<std::string>* states_;
  size_t next_ = 0;
};

uint8_t rwx(const hw::EpcmEntry& e) { return uint8_t((e.r ? 4 : 0) | (e.w ? 2 : 0) | (e.x ? 1 : 0)); }

}  // namespace

void ReplayMachine::Parts::prepare() {
  const bool trim = ioctl == Role::kModifyTypesIoctl || ioctl == Role::kRemoveIoctl;
  const user::EnclaveImage image = replay_image(l, trim ? flows::trimmed() : flows::restricted_rights());
  if (const long r = user::load_enclave(*p, image, testlib::test_signing_key(), e); r != 0)
    throw std::runtime_error("replay: the enclave did not load (" + std::to_string(r) + ")");
  encl_ = static_cast<driver::Encl*>(p->file(e.fd)->private_data.get());
  // Every page mapped now, so the run takes no first-touch fault the flows do not have;
  // the holes mapped too, with nothing behind them, for the EAUG fault.
  const int64_t extra = l.enclave_threads == 0 ? 0 : 2;  // the code and SECINFO pages
  for (int64_t pg = 0; pg < l.pages() + extra; ++pg) {
    if (l.built() <= pg && pg < l.pages()) continue;
    if (!touch(page(pg))) throw std::runtime_error("replay: a page of the fresh enclave cannot be touched");
  }
  for (size_t h = 0; h < l.holes; ++h) {
    const hw::LAddr at = page(l.hole(h));
    if (p->mmap(at, kPage, kernel::PROT_READ | kernel::PROT_WRITE, kernel::MAP_SHARED | kernel::MAP_FIXED,
                e.fd, at - e.base) != long(at))
      throw std::runtime_error("replay: a hole of the enclave cannot be mapped");
  }
  if (ioctl == Role::kRemoveIoctl) trim_data_pages();
  for (size_t i = 0; i < l.data_pages; ++i) p->mm().test_and_clear_young(page(l.data_page(i)));
  // The flows' LRU: the data pages alone (the TCS and SSA of a running thread are young,
  // the code and SECINFO pages the flows leave out).
  driver::Encl& en = encl();
  sched::MutexLock lock(en.lock);
  for (const auto& [pfn, encl_page] : en.page_array) {
    const int64_t pg = int64_t((encl_page->desc - e.base) / kPage);
    const bool data = l.data_page(0) <= pg && pg < l.pages();
    if (!data && sgx().unmark_page_reclaimable(encl_page->epc_page) != 0)
      throw std::runtime_error("replay: a page could not leave the LRU");
  }
}

// REMOVE_PAGES' starting point, as the flows' Layout::trimmed: MODIFY_TYPES to TRIM over
// the data pages has returned (its ETRACK flow run, no thread inside) and nothing has
// EACCEPTed them. REG to TRIM leaves the PTEs as they are.
void ReplayMachine::Parts::trim_data_pages() {
  const hw::LAddr a = user_page();
  const uapi::EnclaveModifyTypes modt{uint64_t(l.data_page(0)) * kPage, l.data_pages * kPage,
                                      uint64_t(uapi::PageType::kTrim), 0, 0};
  user_write(a, &modt, sizeof modt);
  if (const long r = p->ioctl(e.fd, uapi::ioctl::kEnclaveModifyTypes, a); r != 0)
    throw std::runtime_error("replay: MODIFY_TYPES to TRIM failed (" + std::to_string(r) + ")");
}

ReplayMachine::ReplayMachine(const flows::Layout& l, const driver::Alternatives& alt, Role ioctl)
    : p_(std::make_unique<Parts>()) {
  Parts& s = *p_;
  s.l = l;
  s.ioctl = ioctl;
  hw::Config cfg;
  cfg.epc_pages = 256;
  // A CPU for each thread of the flow and one for setting up: none ever waits for one.
  cfg.cpus = uint32_t(3 + l.enclave_threads);
  s.m = std::make_unique<hw::Machine>(cfg);
  s.k = std::make_unique<kernel::Kernel>(*s.m);
  s.boot = std::make_unique<kernel::Task>(*s.k, "boot");
  s.boot_scope = std::make_unique<kernel::TaskScope>(*s.boot);
  driver::SgxDriver::Options o;
  o.sgx.ksgxd_thread = false;
  o.alternatives = alt;
  s.d = std::make_unique<driver::SgxDriver>(*s.k, o);
  s.p = std::make_unique<kernel::Process>(*s.k);
  s.task = std::make_unique<kernel::Task>(*s.p, "replay");
  s.scope = std::make_unique<kernel::TaskScope>(*s.task);
  s.prepare();

  // Each ioctl's argument starts with offset and length.
  const uint64_t offset = uint64_t(l.data_page(0)) * kPage, length = l.data_pages * kPage;
  s.arg = s.user_page();
  if (ioctl == Role::kModifyTypesIoctl) {
    const uapi::EnclaveModifyTypes arg{offset, length, uint64_t(uapi::PageType::kTrim), 0, 0};
    s.user_write(s.arg, &arg, sizeof arg);
  } else if (ioctl == Role::kRemoveIoctl) {
    const uapi::EnclaveRemovePages arg{offset, length, 0};
    s.user_write(s.arg, &arg, sizeof arg);
  } else {
    const uapi::EnclaveRestrictPermissions arg{offset, length, uapi::secinfo_flag::kR, 0, 0};
    s.user_write(s.arg, &arg, sizeof arg);
  }
  for (size_t t = 0; t < l.enclave_threads; ++t) {
    s.accepts.push_back(s.user_page());
    const std::vector<uint64_t> none(l.data_pages, kNoAnswer);
    s.user_write(s.accepts.back(), none.data(), none.size() * sizeof(uint64_t));
  }
}

ReplayMachine::~ReplayMachine() {
  Parts& s = *p_;
  s.p->exit();
  s.scope.reset();
  s.task.reset();
  s.p.reset();
  s.d.reset();
  s.boot_scope.reset();
  s.boot.reset();
}

// Read at a decision, when only the deciding thread runs: no lock is needed, and taking
// one could wait on a parked thread.
std::string ReplayMachine::Parts::state() const NO_THREAD_SAFETY_ANALYSIS {
  const hw::Inspector in(*m);
  const driver::Encl& en = encl();
  std::ostringstream os;
  os << (en.secs.epc_page == nullptr ? "SECS out" : "SECS in");
  for (const auto& [pfn, encl_page] : en.page_array) {
    const int64_t pg = int64_t((encl_page->desc - e.base) / kPage);
    if (pg >= l.pages()) continue;
    os << ", p" << pg << " ";
    if (encl_page->epc_page == nullptr) {
      os << "out";
      continue;
    }
    const hw::EpcmEntry x = in.epcm_at_decision(*m->epc_slot(encl_page->epc_page->addr));
    const uint8_t r = rwx(x);
    os << ((r & 4) ? "r" : "-") << ((r & 2) ? "w" : "-") << ((r & 1) ? "x" : "-")
       << (x.type == hw::PageType::kTrim ? " TRIM" : "") << (x.pending ? " P" : "")
       << (x.modified ? " M" : "") << (x.pr ? " PR" : "")
       << (x.blocked ? " blocked" : "") << (encl_page->being_reclaimed ? " reclaim" : "");
  }
  const uint64_t warned = sgx().warnings();
  if (warned != 0) os << "; " << warned << " WARN";
  return os.str();
}

void ReplayMachine::Parts::thread_body(Role role, size_t enclave, DriverOutcome& out) {
  switch (role) {
    case Role::kRestrictIoctl:
    case Role::kModifyTypesIoctl: {
      kernel::Task t(*p, "ioctl");
      kernel::TaskScope in_task(t);
      const bool restrict = role == Role::kRestrictIoctl;
      out.rv = p->ioctl(e.fd, restrict ? uapi::ioctl::kEnclaveRestrictPermissions : uapi::ioctl::kEnclaveModifyTypes,
                        arg);
      uapi::EnclaveModifyTypes back{};
      static_assert(sizeof back == sizeof(uapi::EnclaveRestrictPermissions) &&
                    offsetof(uapi::EnclaveModifyTypes, count) == offsetof(uapi::EnclaveRestrictPermissions, count));
      user_read(arg, &back, sizeof back);
      out.count_pages = back.count / kPage;
      out.ioctl_returned = true;
      break;
    }
    case Role::kRemoveIoctl: {
      kernel::Task t(*p, "ioctl");
      kernel::TaskScope in_task(t);
      out.rv = p->ioctl(e.fd, uapi::ioctl::kEnclaveRemovePages, arg);
      uapi::EnclaveRemovePages back{};
      user_read(arg, &back, sizeof back);
      out.count_pages = back.count / kPage;
      out.ioctl_returned = true;
      break;
    }
    case Role::kEaugFault: {
      kernel::Task t(*p, "EAUG fault");
      kernel::TaskScope in_task(t);
      out.hole_mapped = touch(page(l.hole(0)));
      out.fault_returned = true;
      break;
    }
    case Role::kKsgxd: {
      kernel::Task t(*k, "ksgxd");
      kernel::TaskScope in_task(t);
      kernel::CpuHold cpu;
      sgx().reclaim_pages();
      break;
    }
    case Role::kEnclaveThread: {
      kernel::Task t(*p, "enclave thread");
      kernel::TaskScope in_task(t);
      uapi::EnclaveRun run{};
      run.tcs = page(l.tcs_page(enclave));
      user::vdso_sgx_enter_enclave(accepts[enclave], 0, 0, uapi::enclu::kEenter, 0, 0, &run);
      break;
    }
  }
}

void ReplayMachine::Parts::collect(DriverOutcome& out) {
  for (hw::LAddr a : accepts) {
    std::vector<uint64_t> got(l.data_pages);
    user_read(a, got.data(), got.size() * sizeof(uint64_t));
    out.accepts.push_back(std::move(got));
  }
  out.warnings = sgx().warning_counts();
  // An evicted page is loaded back (a fault's ELDU) to read its EPCM entry.
  const hw::Inspector in(*m);
  driver::Encl& en = encl();
  for (size_t i = 0; i < l.data_pages; ++i) {
    const hw::LAddr a = page(l.data_page(i));
    const auto in_array = [&] {
      sched::MutexLock lock(en.lock);
      return en.page_array.count(a >> 12) != 0;
    };
    const auto resident = [&] {
      sched::MutexLock lock(en.lock);
      return en.page_array.at(a >> 12)->epc_page != nullptr;
    };
    out.removed.push_back(!in_array());
    if (out.removed.back() || (!resident() && !touch(a))) {
      out.epcm.push_back(std::nullopt);
      continue;
    }
    sched::MutexLock lock(en.lock);
    out.epcm.push_back(in.epcm(*m->epc_slot(en.page_array.at(a >> 12)->epc_page->addr)));
  }
}

DriverOutcome ReplayMachine::run(const std::vector<Role>& roles, const sched::Schedule& plan,
                                 const std::vector<std::string>& vocabulary, bool states) {
  Parts& s = *p_;
  if (s.ran) throw std::logic_error("ReplayMachine::run: once per machine");
  s.ran = true;
  DriverOutcome out;
  std::vector<std::string> names;
  for (size_t t = 0; t < roles.size(); ++t) names.push_back("flow thread " + std::to_string(t));
  sched::Controlled controlled(std::make_unique<Observed>(
      sched::replay(plan, vocabulary), plan, [&s] { return s.state(); }, states ? &out.states : nullptr));
  out.run = controlled.run([&] {
    std::vector<std::unique_ptr<sched::Thread>> threads;
    size_t enclave = 0;
    for (size_t t = 0; t < roles.size(); ++t) {
      const size_t e = roles[t] == Role::kEnclaveThread ? enclave++ : 0;
      threads.push_back(std::make_unique<sched::Thread>(
          names[t].c_str(), [&s, &out, role = roles[t], e] { s.thread_body(role, e, out); }));
    }
    for (auto& t : threads) t->join();
  });
  // A run that ended early may have left pages held by an unwound reclaimer: nothing
  // more is read from it.
  if (!out.run.completed()) return out;
  if (states) out.states.push_back(s.state());
  s.collect(out);
  return out;
}

}  // namespace sgxref::proofs::replay
