#include "uapi_conformance/driver_world.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include "driver/encl.h"
#include "hw/inspect.h"
#include "kernel/mm.h"
#include "kernel/run_queue.h"
#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "kernel/vma.h"
#include "sched/rw_mutex.h"
#include "sched/scheduler.h"
#include "testlib/test_signing_key.h"
#include "uapi/enclave_run.h"
#include "uapi/sgx_ioctl.h"
#include "uapi/tcs.h"
#include "user/test_encl.h"
#include "user/test_encl_ops.h"
#include "user/vsgx.h"

namespace sgxref::props {

namespace {

constexpr uint64_t kPage = hw::kPageSize;

testlib::DriverFixtureOptions options() {
  testlib::DriverFixtureOptions o;
  o.epc_pages = 128;  // the image, the heap, every hole EAUGed, VA pages: no pressure
  return o;
}

// An address with no mapping: the ioctl's copy of its argument fails.
constexpr hw::LAddr kUnmapped = 0x10;

hw::Counters counters(hw::Machine& m) { return hw::Inspector(m).counters(); }

uint8_t rwx(bool r, bool w, bool x) {
  return uint8_t((r ? mu::prot::kR : 0) | (w ? mu::prot::kW : 0) | (x ? mu::prot::kX : 0));
}

}  // namespace

// The image's threads, then the added ones from its end: stack, TCS, SSA.
constexpr uint64_t kAddedAt = user::test_encl::kImageEnd;

uint64_t DriverWorld::tcs(int t) {
  if (t == 0) return user::test_encl::kTcs1;
  if (t == 1) return user::test_encl::kTcs2;
  return kAddedAt + uint64_t(3 * (t - 2) + 1) * kPage;
}

uint64_t DriverWorld::ssa(int t) {
  if (t == 0) return user::test_encl::kSsa1;
  if (t == 1) return user::test_encl::kSsa2;
  return tcs(t) + kPage;
}

DriverWorld::DriverWorld(uint64_t group_limit)
    : f_(options()), ksgxd_(f_.kernel(), f_.sgx()), mem_(kThreads), stopped_(kThreads) {
  driver::EpcCgroups& groups = f_.sgx().cgroups();
  group_ = &groups.create(groups.root(), "uapi");
  groups.attach(f_.process(), *group_);
  namespace sf = uapi::secinfo_flag;
  using kernel::PROT_READ;
  using kernel::PROT_WRITE;
  const uint64_t reg_rw = sf::type(uapi::PageType::kReg) | sf::kR | sf::kW;
  user::EnclaveImage image = user::test_encl::image();
  for (int t = 2; t < kThreads; ++t) {
    const uint64_t at = tcs(t) - kPage;
    image.segments.push_back(
        user::Segment{at, std::vector<uint8_t>(kPage), reg_rw, PROT_READ | PROT_WRITE});
    image.segments.push_back(user::Segment{at + kPage, user::tcs_page(at + 2 * kPage, user::test_encl::kDynEntry),
                                           sf::type(uapi::PageType::kTcs), PROT_READ | PROT_WRITE});
    image.segments.push_back(
        user::Segment{at + 2 * kPage, std::vector<uint8_t>(kPage), reg_rw, PROT_READ | PROT_WRITE});
  }
  heap_ = tcs(kThreads - 1) + 2 * kPage;
  image.segments.push_back(user::Segment{heap_, std::vector<uint8_t>(kHeapPages * kPage), reg_rw,
                                         PROT_READ | PROT_WRITE, false});
  // Nothing can be compared without the enclave: a driver that cannot build it fails
  // the property here, plainly.
  if (const long ret = user::load_enclave(f_.process(), image, testlib::test_signing_key(), e_);
      ret != 0) {
    throw std::runtime_error("the test enclave did not load: " + std::to_string(ret));
  }
  holes_ = heap_ + kHeapPages * kPage;
  const long at = f_.process().mmap(e_.base + holes_, e_.size - holes_,
                                    PROT_READ | PROT_WRITE | kernel::PROT_EXEC,
                                    kernel::MAP_SHARED | kernel::MAP_FIXED, e_.fd, 0);
  if (at != long(e_.base + holes_)) {
    throw std::runtime_error("the holes of ELRANGE did not map: " + std::to_string(at));
  }
  group_->set_max(group_limit);
  for (ThreadMemory& m : mem_) {
    m.op = f_.user_alloc(3 * kPage);
    m.spare = m.op + kPage;
    m.arg = m.op + 2 * kPage;
  }
  arg_ = f_.user_alloc(kPage);
  prepare_build();
}

// The second enclave: a TCS and three REG pages as DriverFixture builds them, at an
// address of its own; the sources are the TCS, the three pages and one page more that
// the signed build does not use.
void DriverWorld::prepare_build() {
  build_spec_.base = 0x4000'0000;
  build_spec_.reg_pages = 3;
  build_spec_.seed = 7;
  build_fd_ = f_.open_enclave();
  if (build_fd_ < 0) throw std::runtime_error("/dev/sgx_enclave did not open");
  const mu::BuildPlan plan = build_plan();
  sources_ = f_.user_alloc(plan.sources.size() * kPage);
  for (size_t i = 0; i < plan.sources.size(); ++i) {
    f_.user_write(sources_ + i * kPage, plan.sources[i].data(), kPage);
  }
  uapi::Secs secs = f_.secs_for(build_spec_);
  secs_[int(mu::SecsKind::kSigned)] = f_.user_copy(secs);
  uapi::Secs odd = secs;
  odd.size = 3 * kPage;
  secs_[int(mu::SecsKind::kSizeNotPowerOfTwo)] = f_.user_copy(odd);
  uapi::Secs misaligned = secs;
  misaligned.base += kPage;
  secs_[int(mu::SecsKind::kBaseMisaligned)] = f_.user_copy(misaligned);
  testlib::EnclaveSpec provision_spec = build_spec_;
  provision_spec.attributes |= uapi::attr::kProvisionKey;
  secs_[int(mu::SecsKind::kProvisionKey)] = f_.user_copy(f_.secs_for(provision_spec));
  secinfo_ = f_.user_alloc(kPage);
  sigstruct_ = f_.user_copy(f_.sigstruct_for(build_spec_));
  sigstruct_provision_ = f_.user_copy(f_.sigstruct_for(provision_spec));
  uapi::SigStruct bad_vendor = f_.sigstruct_for(build_spec_);
  bad_vendor.header.vendor = 0x1234;
  sigstruct_bad_vendor_ = f_.user_copy(bad_vendor);
  // The lowest reserved bit of each field, asked for in the value and the mask.
  const auto lowest = [](uint64_t mask) { return mask & (~mask + 1); };
  const driver::SgxDriver& d = f_.driver();
  for (const auto field : {mu::ReservedAsked::kAttributes, mu::ReservedAsked::kMiscselect,
                           mu::ReservedAsked::kXfrm}) {
    uapi::SigStruct s = f_.sigstruct_for(build_spec_);
    if (field == mu::ReservedAsked::kAttributes) {
      s.body.attributes |= lowest(d.attributes_reserved_mask());
      s.body.attributes_mask |= lowest(d.attributes_reserved_mask());
    } else if (field == mu::ReservedAsked::kMiscselect) {
      s.body.miscselect |= uint32_t(lowest(d.misc_reserved_mask()));
      s.body.misc_mask |= uint32_t(lowest(d.misc_reserved_mask()));
    } else {
      s.body.xfrm |= lowest(d.xfrm_reserved_mask());
      s.body.xfrm_mask |= lowest(d.xfrm_reserved_mask());
    }
    sigstruct_reserved_[int(field)] = f_.user_copy(s);
  }
  provision_fd_ = f_.process().open("sgx_provision");
  if (provision_fd_ < 0) throw std::runtime_error("/dev/sgx_provision did not open");
}

mu::BuildPlan DriverWorld::build_plan() const {
  namespace sf = uapi::secinfo_flag;
  mu::BuildPlan plan;
  plan.size = testlib::DriverFixture::size_of(build_spec_);
  plan.sources.push_back(testlib::DriverFixture::tcs_bytes());
  for (uint64_t i = 0; i < build_spec_.reg_pages + 1; ++i) {
    plan.sources.push_back(testlib::DriverFixture::page_bytes(build_spec_, i));
  }
  plan.signed_for.push_back({0, sf::type(uapi::PageType::kTcs), 0, true});
  for (uint64_t i = 0; i < build_spec_.reg_pages; ++i) {
    plan.signed_for.push_back(
        {(1 + i) * kPage, sf::type(uapi::PageType::kReg) | sf::kR | sf::kW, 1 + i, true});
  }
  return plan;
}

long DriverWorld::build_create(mu::SecsKind f) {
  const uapi::EnclaveCreate arg{secs_[int(f)]};
  f_.user_write(arg_, &arg, sizeof arg);
  return f_.process().ioctl(build_fd_, uapi::ioctl::kEnclaveCreate,
                            f == mu::SecsKind::kBadPointer ? kUnmapped : arg_);
}

mu::IoctlOutcome DriverWorld::build_add(const mu::AddArgs& a) {
  uapi::SecInfo si{};
  si.flags = a.flags;
  if (a.secinfo_reserved) si.reserved[7] = 1;
  f_.user_write(secinfo_, &si, sizeof si);
  const hw::LAddr src = a.src_unmapped     ? kUnmapped & ~(kPage - 1)
                        : a.src_misaligned ? sources_ + a.source * kPage + 8
                                           : sources_ + a.source * kPage;
  uapi::EnclaveAddPages arg{src, a.offset, a.length, secinfo_,
                            a.measure ? uapi::kPageMeasure : 0, 0};
  f_.user_write(arg_, &arg, sizeof arg);
  mu::IoctlOutcome o;
  o.ret = f_.process().ioctl(build_fd_, uapi::ioctl::kEnclaveAddPages,
                             a.bad_pointer ? kUnmapped : arg_);
  f_.user_read(arg_, &arg, sizeof arg);
  o.count = arg.count;
  return o;
}

long DriverWorld::build_provision(bool bad_pointer, bool provision_file) {
  // Another descriptor than /dev/sgx_provision's: the running enclave's.
  const uapi::EnclaveProvision arg{uint64_t(provision_file ? provision_fd_ : e_.fd)};
  f_.user_write(arg_, &arg, sizeof arg);
  return f_.process().ioctl(build_fd_, uapi::ioctl::kEnclaveProvision,
                            bad_pointer ? kUnmapped : arg_);
}

long DriverWorld::build_init(const mu::InitArgs& a) {
  const uapi::EnclaveInit arg{a.bad_vendor ? sigstruct_bad_vendor_
                              : a.reserved != mu::ReservedAsked::kNone
                                  ? sigstruct_reserved_[int(a.reserved)]
                              : a.provision_key ? sigstruct_provision_
                                                : sigstruct_};
  f_.user_write(arg_, &arg, sizeof arg);
  return f_.process().ioctl(build_fd_, uapi::ioctl::kEnclaveInit, a.bad_pointer ? kUnmapped : arg_);
}

DriverWorld::~DriverWorld() = default;

mu::Enclave DriverWorld::initial_model() const {
  mu::Enclave m;
  m.base = e_.base;
  m.size = e_.size;
  m.first = heap_;
  // The loader maps the heap as a segment of its own; the holes are one mapping.
  m.vma_starts = {heap_, holes_};
  for (uint64_t off = m.first; off < m.size; off += kPage) {
    const bool heap = off < holes_;
    m.vma_prot[off] = heap ? mu::prot::kRw : mu::prot::kRwx;
    if (!heap) continue;
    mu::Page p;
    p.rights = mu::prot::kRw;
    p.max_prot = mu::prot::kRw;
    m.pages[off] = p;
  }
  return m;
}

// The argument in the process's memory (or a pointer to nothing), the ioctl, and the
// struct as it reads afterwards.
template <class Arg>
mu::IoctlOutcome DriverWorld::sgx2(hw::LAddr at, unsigned int cmd, Arg arg, bool bad_pointer) {
  f_.user_write(at, &arg, sizeof arg);
  mu::IoctlOutcome o;
  o.ret = f_.process().ioctl(e_.fd, cmd, bad_pointer ? kUnmapped : at);
  f_.user_read(at, &arg, sizeof arg);
  if constexpr (requires { arg.result; }) o.result = arg.result;
  o.count = arg.count;
  return o;
}

mu::IoctlOutcome DriverWorld::on_model(mu::Enclave& e, Sgx2 which, const mu::Sgx2Args& a,
                                       mu::Held held) {
  switch (which) {
    case Sgx2::kRestrict: return mu::restrict_permissions(e, a, held);
    case Sgx2::kModifyTypes: return mu::modify_types(e, a, held);
    case Sgx2::kRemove: return mu::remove_pages(e, a, held);
  }
  return {};
}

mu::IoctlOutcome DriverWorld::ioctl(int thread, Sgx2 which, const mu::Sgx2Args& a) {
  const hw::LAddr at = mem_[thread].arg;
  mu::IoctlOutcome o;
  switch (which) {
    case Sgx2::kRestrict:
      o = sgx2(at, uapi::ioctl::kEnclaveRestrictPermissions,
               uapi::EnclaveRestrictPermissions{a.offset, a.length, a.mode, a.result, a.count},
               a.bad_pointer);
      break;
    case Sgx2::kModifyTypes:
      o = sgx2(at, uapi::ioctl::kEnclaveModifyTypes,
               uapi::EnclaveModifyTypes{a.offset, a.length, a.mode, a.result, a.count},
               a.bad_pointer);
      break;
    case Sgx2::kRemove:
      o = sgx2(at, uapi::ioctl::kEnclaveRemovePages,
               uapi::EnclaveRemovePages{a.offset, a.length, a.count}, a.bad_pointer);
      break;
  }
  if (o.ret != 0 && o.count > 0) reached_.partial_count = true;
  // A walk stopped at the group's limit queued the group's reclaim work, and ksgxd runs
  // it before user space calls again (in a controlled run, its reclaimer thread does).
  if (f_.sgx().cgroup_work_pending() && sched::current() == nullptr) ksgxd_.step();
  return o;
}

bool DriverWorld::resident(uint64_t offset) {
  driver::Encl& encl = f_.encl_of(e_.fd);
  sched::MutexLock l(encl.lock);
  const auto it = encl.page_array.find((base() + offset) >> hw::kPageShift);
  return it != encl.page_array.end() && it->second->epc_page != nullptr;
}

DriverWorld::Run DriverWorld::enter(int thread, const mu::EnclaveOp& op) {
  return call(thread, &op);
}

DriverWorld::Run DriverWorld::resume(int thread) { return call(thread, nullptr); }

// The op goes to the thread's own page, so a stopped thread finds its op there when it
// resumes; what it leaves there is read back by its type, whichever entry ended it.
DriverWorld::Run DriverWorld::call(int thread, const mu::EnclaveOp* op) {
  const hw::LAddr at = op != nullptr && stopped_[thread] ? mem_[thread].spare : mem_[thread].op;
  const hw::Counters before = counters(f_.machine());
  driver::Encl& encl = f_.encl_of(e_.fd);
  bool secs_out = false;
  {
    sched::MutexLock l(encl.lock);
    secs_out = encl.secs.epc_page == nullptr;
  }
  if (op != nullptr) {
    using K = mu::EnclaveOp::Kind;
    const hw::LAddr addr = base() + op->offset;
    switch (op->kind) {
      case K::kLoad: {
        const user::EnclOpGetFromAddr o{{user::kEnclOpGetFromAddress}, 0, addr};
        f_.user_write(at, &o, sizeof o);
        break;
      }
      case K::kStore: {
        const user::EnclOpPutToAddr o{{user::kEnclOpPutToAddress}, op->arg, addr};
        f_.user_write(at, &o, sizeof o);
        break;
      }
      case K::kEaccept: {
        const user::EnclOpEaccept o{{user::kEnclOpEaccept}, addr, op->arg, ~0ull};
        f_.user_write(at, &o, sizeof o);
        break;
      }
      case K::kEacceptCopy: {
        const user::EnclOpEacceptCopy o{
            {user::kEnclOpEacceptCopy}, addr, op->arg, ~0ull, base() + op->source};
        f_.user_write(at, &o, sizeof o);
        break;
      }
      case K::kEmodpe: {
        const user::EnclOpEmodpe o{{user::kEnclOpEmodpe}, addr, op->arg};
        f_.user_write(at, &o, sizeof o);
        break;
      }
      case K::kInitTcs: {
        const user::EnclOpInitTcsPage o{{user::kEnclOpInitTcsPage}, addr, op->arg, op->entry};
        f_.user_write(at, &o, sizeof o);
        break;
      }
    }
  }
  uapi::EnclaveRun run{};
  run.tcs = base() + tcs(thread);
  Run r;
  const auto vdso_call = [&] {
    kernel::CpuHold cpu;
    const int rc = user::vdso_sgx_enter_enclave(
        at, 0, 0, op != nullptr ? uapi::enclu::kEenter : uapi::enclu::kEresume, 0, 0, &run);
    if (rc != 0) r.function = ~0u;  // the vDSO refused the call itself
  };
  // At a limit a fault may wait for ksgxd, which has no thread of its own in a sequential
  // run (a controlled run has its reclaimer thread).
  if (limited() && sched::current() == nullptr) {
    ksgxd_.run(f_.process(), vdso_call);
  } else {
    vdso_call();
  }
  if (r.function == 0) r.function = run.function;
  if (run.function == uapi::enclu::kEexit) {
    // Every op keeps its result in the word after the header: a load's value; EACCEPT's
    // and EACCEPTCOPY's code one word further.
    uint64_t words[4] = {};
    f_.user_read(at, words, sizeof words);
    const uint64_t type = words[0];
    const bool accept = type == user::kEnclOpEaccept || type == user::kEnclOpEacceptCopy;
    r.outcome = mu::exited(type == user::kEnclOpGetFromAddress ? words[1]
                           : accept                            ? words[3]
                                                               : 0);
  } else {
    r.outcome = mu::OpOutcome{false, 0, run.exception_vector, run.exception_error_code,
                              run.exception_addr};
  }
  // An exception after AEX comes back with ERESUME's leaf; one EENTER itself took (a
  // TCS or SSA page that could not be loaded) leaves the thread outside.
  if (op != nullptr && !stopped_[thread]) {
    stopped_[thread] = !r.outcome.exited && r.function == uapi::enclu::kEresume;
  }
  if (op == nullptr && r.outcome.exited) stopped_[thread] = false;
  const hw::Counters after = counters(f_.machine());
  if (after.reloads > before.reloads) reached_.eldu_on_fault = true;
  if (secs_out && after.reloads > before.reloads) reached_.secs_reload = true;
  if (after.calls[int(hw::Leaf::kEaug)] > before.calls[int(hw::Leaf::kEaug)]) {
    reached_.eaug_fault = true;
  }
  return r;
}

long DriverWorld::mprotect(uint64_t offset, uint64_t length, uint8_t rights) {
  // PROT_READ, PROT_WRITE and PROT_EXEC are the model's R, W and X.
  return f_.process().mprotect(base() + offset, length, rights);
}

long DriverWorld::munmap(uint64_t offset, uint64_t length) {
  return f_.process().munmap(base() + offset, length);
}

long DriverWorld::mmap(uint64_t offset, uint64_t length, uint8_t rights, bool shared) {
  const uint64_t flags = kernel::MAP_FIXED | (shared ? kernel::MAP_SHARED : kernel::MAP_PRIVATE);
  const long at = f_.process().mmap(base() + offset, length, rights, flags, e_.fd, 0);
  return at == long(base() + offset) ? 0 : at;
}

long DriverWorld::raw_ioctl(int descriptor, unsigned int cmd) {
  const int fds[3] = {e_.fd, build_fd_, provision_fd_};
  return f_.process().ioctl(fds[descriptor % 3], cmd, arg_);
}

void DriverWorld::reclaim_batch() {
  kernel::CpuHold cpu;
  f_.sgx().reclaim_pages();
}

void DriverWorld::evict_all() {
  kernel::CpuHold cpu;
  for (int i = 0; i < 1000 && f_.sgx().lru_pages() > 0; ++i) f_.sgx().reclaim_pages();
}

void DriverWorld::compare_pages(std::ostream& d, int fd, hw::LAddr base, uint64_t first,
                                uint64_t end, const std::map<uint64_t, mu::Page>& pages) {
  driver::Encl& encl = f_.encl_of(fd);
  hw::Inspector in(f_.machine());
  sched::MutexLock l(encl.lock);
  d << std::hex;
  for (uint64_t off = first; off < end; off += kPage) {
    const auto it = encl.page_array.find((base + off) >> hw::kPageShift);
    const auto want = pages.find(off);
    const bool has = it != encl.page_array.end();
    if (has != (want != pages.end())) {
      d << "page 0x" << off << (has ? ": the driver has one, the model none\n"
                                    : ": the model has one, the driver none\n");
      continue;
    }
    if (!has) continue;
    const driver::EnclPage& rec = *it->second;
    const mu::Page& p = want->second;
    if (int64_t(rec.type) != p.type) {
      d << "page 0x" << off << ": type " << int(rec.type) << ", model " << p.type << "\n";
    }
    if (rec.vm_max_prot_bits != p.max_prot) {
      d << "page 0x" << off << ": vm_max_prot_bits " << rec.vm_max_prot_bits << ", model "
        << int(p.max_prot) << "\n";
    }
    if (rec.epc_page == nullptr) continue;
    const uint32_t slot = *f_.machine().epc_slot(rec.epc_page->addr);
    const hw::EpcmEntry e = in.epcm(slot);
    const bool same = e.valid && int64_t(e.type) == p.type && rwx(e.r, e.w, e.x) == p.rights &&
                      e.pending == p.pending && e.modified == p.modified && e.pr == p.pr &&
                      e.enclave_address == base + off && !e.blocked;
    if (!same) {
      d << "page 0x" << off << ": EPCM valid " << e.valid << " type " << int(e.type) << " rwx "
        << int(rwx(e.r, e.w, e.x)) << " pending " << e.pending << " modified " << e.modified
        << " pr " << e.pr << " blocked " << e.blocked << "; model type " << p.type << " rwx "
        << int(p.rights) << " pending " << p.pending << " modified " << p.modified << " pr "
        << p.pr << "\n";
    }
    const uint8_t* bytes = in.page(slot);
    for (uint64_t i = 0; i < kPage; ++i) {
      if (bytes[i] != p.bytes[i]) {
        d << "page 0x" << off << ": byte 0x" << i << " is 0x" << int(bytes[i]) << ", model 0x"
          << int(p.bytes[i]) << "\n";
        break;
      }
    }
  }
  d << std::dec;
}

// The process's VMAs over the modelled part (what /proc/self/maps shows): where each
// begins, and its rights.
void DriverWorld::compare_mapping(std::ostream& d, const mu::Enclave& m) {
  kernel::Mm& mm = f_.process().mm();
  std::set<uint64_t> starts;
  std::map<uint64_t, uint8_t> rights;
  {
    sched::ReaderLock l(mm.mmap_lock);
    for (const kernel::Vma* v : mm.vmas()) {
      if (v->end <= base() + m.first || v->start >= base() + m.size) continue;
      starts.insert(std::max(v->start, base() + m.first) - base());
      for (hw::LAddr a = std::max(v->start, base() + m.first); a < std::min(v->end, base() + m.size);
           a += kPage) {
        rights[a - base()] = uint8_t(v->flags & kernel::kVmProtMask);
      }
    }
  }
  if (starts != m.vma_starts) {
    d << "the mapping's VMAs begin at";
    for (uint64_t s : starts) d << " 0x" << std::hex << s << std::dec;
    d << ", the model's at";
    for (uint64_t s : m.vma_starts) d << " 0x" << std::hex << s << std::dec;
    d << "\n";
  }
  if (rights != m.vma_prot) d << "the mapping's rights are not the model's\n";
}

void DriverWorld::compare_accounting(std::ostream& d) {
  uint64_t held = 0;
  uint64_t resident = 0;
  for (const int fd : {e_.fd, build_fd_}) {
    driver::Encl& encl = f_.encl_of(fd);
    sched::MutexLock l(encl.lock);
    held += (encl.secs.epc_page != nullptr) + encl.va_pages.size();
    for (const auto& [pfn, page] : encl.page_array) resident += page->epc_page != nullptr;
  }
  held += resident;
  const uint64_t free_pages = f_.sgx().nr_free_pages();
  if (held + free_pages != f_.sgx().total_pages()) {
    d << "D5: the enclaves hold " << held << " EPC pages and " << free_pages << " are free, of "
      << f_.sgx().total_pages() << "\n";
  }
  if (const uint64_t charged = f_.sgx().cgroups().root().current(); charged != held) {
    d << "D5: the groups are charged " << charged << " pages for " << held << " held\n";
  }
  if (const uint64_t lru = f_.sgx().lru_pages(); lru != resident) {
    d << "D5: " << lru << " pages on the LRUs for " << resident << " resident\n";
  }
}

std::string DriverWorld::differences(const mu::Enclave& m, const mu::Build& b) {
  std::ostringstream d;
  // D1: nothing the driver did made a leaf fail the way Linux WARNs about.
  for (const auto& [what, n] : f_.sgx().warning_counts()) {
    d << "driver WARN: " << what << " x" << n << "\n";
  }
  compare_pages(d, e_.fd, base(), m.first, m.size, m.pages);
  compare_mapping(d, m);
  std::ostringstream built;
  compare_pages(built, build_fd_, build_spec_.base, 0, testlib::DriverFixture::size_of(build_spec_),
                b.pages);
  if (!built.str().empty()) d << "the enclave being built:\n" << built.str();
  driver::Encl& building = f_.encl_of(build_fd_);
  if (building.test_flag(driver::SGX_ENCL_CREATED) != b.created ||
      building.test_flag(driver::SGX_ENCL_INITIALIZED) != b.initialized) {
    d << "the enclave being built: CREATED " << building.test_flag(driver::SGX_ENCL_CREATED)
      << " INITIALIZED " << building.test_flag(driver::SGX_ENCL_INITIALIZED) << ", model "
      << b.created << " " << b.initialized << "\n";
  }
  compare_accounting(d);
  // Each TCS's CSSA says whether its thread is stopped inside (one SSA frame each).
  driver::Encl& encl = f_.encl_of(e_.fd);
  hw::Inspector in(f_.machine());
  sched::MutexLock l(encl.lock);
  for (int t = 0; t < kThreads; ++t) {
    const auto it = encl.page_array.find((base() + tcs(t)) >> hw::kPageShift);
    if (it == encl.page_array.end() || it->second->epc_page == nullptr) continue;
    uapi::Tcs t_cssa;
    std::memcpy(&t_cssa, in.page(*f_.machine().epc_slot(it->second->epc_page->addr)),
                sizeof t_cssa);
    const bool stopped = m.stopped.count(tcs(t)) != 0;
    if ((t_cssa.ssa_index != 0) != stopped) {
      d << "TCS #" << t + 1 << ": CSSA " << t_cssa.ssa_index << ", model "
        << (stopped ? "stopped" : "outside") << "\n";
    }
  }
  return d.str();
}

std::string DriverWorld::final_differences(const mu::Enclave& m, const mu::Build& b) {
  // Every page loaded back, in both enclaves: all at once, so the group's limit goes.
  group_->set_max(driver::kNoLimit);
  const auto load_all = [&](int fd, hw::LAddr at, const std::map<uint64_t, mu::Page>& pages,
                            bool with_tcs) {
    driver::Encl& encl = f_.encl_of(fd);
    kernel::CpuHold cpu;
    sched::MutexLock l(encl.lock);
    for (const auto& [off, p] : pages) (void)encl.load_page(at + off);
    for (int t = 0; with_tcs && t < kThreads; ++t) (void)encl.load_page(at + tcs(t));
    std::string out;
    for (const auto& [off, p] : pages) {
      const auto it = encl.page_array.find((at + off) >> hw::kPageShift);
      if (it != encl.page_array.end() && it->second->epc_page == nullptr) {
        out += "page at offset " + std::to_string(off) + " could not be loaded\n";
      }
    }
    return out;
  };
  std::string d = load_all(e_.fd, base(), m.pages, true);
  d += load_all(build_fd_, build_spec_.base, b.pages, false);
  return d + differences(m, b);
}

std::string DriverWorld::teardown_differences() {
  std::ostringstream d;
  // Held weakly: the enclaves themselves must go with their last mapping and descriptor.
  const std::weak_ptr<driver::Encl> running = encl().shared_from_this();
  const std::weak_ptr<driver::Encl> built = build_encl().shared_from_this();
  if (f_.process().munmap(e_.base, e_.size) != 0) d << "munmap of ELRANGE failed\n";
  if (f_.process().close(e_.fd) != 0) d << "close of the enclave failed\n";
  if (f_.process().close(build_fd_) != 0) d << "close of the enclave being built failed\n";
  if (f_.process().close(provision_fd_) != 0) d << "close of /dev/sgx_provision failed\n";
  if (!running.expired()) d << "the running enclave outlived its release\n";
  if (!built.expired()) d << "the enclave being built outlived its release\n";
  const uint64_t free_pages = f_.sgx().nr_free_pages();
  if (free_pages != f_.sgx().total_pages()) {
    d << "after release " << f_.sgx().total_pages() - free_pages << " EPC pages are still in use\n";
  }
  if (const uint64_t charged = f_.sgx().cgroups().root().current(); charged != 0) {
    d << "after release the root group is charged " << charged << " pages\n";
  }
  for (const auto& [what, n] : f_.sgx().warning_counts()) {
    d << "driver WARN: " << what << " x" << n << "\n";
  }
  return d.str();
}

}  // namespace sgxref::props
