#include "uapi_conformance/vepc_world.h"

#include <cstring>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "driver/encl.h"
#include "hw/cpu.h"
#include "hw/inspect.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "kernel/vm_flags.h"
#include "testlib/enclave_builder.h"
#include "uapi/secinfo.h"
#include "uapi/sgx_ioctl.h"

namespace sgxref::props {

namespace {

constexpr uint64_t kPage = hw::kPageSize;
// Where the VMM maps instance `id`: eight pages apart, so mappings never touch.
constexpr hw::LAddr kVmmBase = 0x6000'0000'0000;
// The guest's enclaves all claim one ELRANGE; a child's address there is its own
// (instance, index), so no two children share one (EADD does not care either way).
constexpr uint64_t kGuestBase = 0x10'0000'0000;
constexpr uint64_t kGuestSize = 0x1000'0000;

testlib::DriverFixtureOptions options() {
  testlib::DriverFixtureOptions o;
  o.epc_pages = VepcWorld::kEpcPages;
  return o;
}

}  // namespace

VepcWorld::VepcWorld() : f_(options()) {
  spec_.reg_pages = kRegPages;
  encl_fd_ = f_.build_enclave(spec_);
  if (encl_fd_ < 0) throw std::runtime_error("the enclave did not build");
}

VepcWorld::~VepcWorld() = default;

hw::LAddr VepcWorld::address_of(int id) const { return kVmmBase + uint64_t(id) * 8 * kPage; }

driver::SgxVepc& VepcWorld::vepc_of(int id) {
  return *static_cast<driver::SgxVepc*>(f_.process().file(fd_.at(id))->private_data.get());
}

long VepcWorld::open(int id) {
  const int fd = guest_.open_vepc();
  if (fd < 0) return fd;
  fd_[id] = fd;
  mapped_[id] = false;
  return 0;
}

long VepcWorld::mmap(int id, bool shared) {
  const hw::LAddr at = address_of(id);
  const long ret = f_.process().mmap(
      at, kPages * kPage, kernel::PROT_READ | kernel::PROT_WRITE,
      (shared ? kernel::MAP_SHARED : kernel::MAP_PRIVATE) | kernel::MAP_FIXED, fd_.at(id), 0);
  if (ret < 0) return ret;
  mapped_[id] = true;
  return ret == long(at) ? 0 : ret;
}

mu::Touch VepcWorld::touch(int id, uint64_t index) {
  const hw::LAddr va = address_of(id) + index * kPage;
  kernel::FaultResult r = kernel::FaultResult::kHandled;
  ksgxd_.run(f_.process(), [&] { r = guest_.fault_in(va); });
  switch (r) {
    case kernel::FaultResult::kHandled: break;
    case kernel::FaultResult::kSigsegv: return mu::Touch::kSigsegv;
    case kernel::FaultResult::kSigbus: return mu::Touch::kSigbus;
    case kernel::FaultResult::kOom: throw std::logic_error("a vEPC fault answered VM_FAULT_OOM");
  }
  const hw::PAddr pa = f_.process().mm().page_table().get(va).pa;
  slot_.try_emplace(mu::VepcPageRef{id, index}, *f_.machine().epc_slot(pa));
  return mu::Touch::kMapped;
}

bool VepcWorld::ecreate(mu::VepcPageRef at) {
  kernel::CpuHold cpu;
  testlib::EnclaveBuilder b(f_.machine(), slot_.at(at), kernel::this_cpu().id());
  return b.create(testlib::make_secs(kGuestBase, kGuestSize)).succeeded();
}

bool VepcWorld::eadd(mu::VepcPageRef at, mu::VepcPageRef secs) {
  namespace sf = uapi::secinfo_flag;
  static const std::vector<uint8_t> page(kPage);
  const uint64_t linaddr = kGuestBase + (uint64_t(at.instance) * kPages + at.index) * kPage;
  kernel::CpuHold cpu;
  testlib::EnclaveBuilder b(f_.machine(), slot_.at(secs), kernel::this_cpu().id());
  return b.add(slot_.at(at), linaddr, page.data(), sf::kR | sf::kW | sf::type(uapi::PageType::kReg))
      .succeeded();
}

long VepcWorld::enclave_read(uint64_t page, uint64_t at, uint64_t& value) {
  long ret = 0;
  const hw::LAddr va = spec_.base + (1 + page) * kPage + at;
  ksgxd_.run(f_.process(), [&] { ret = f_.peek(va, &value, sizeof value); });
  return ret == long(sizeof value) ? 0 : ret;
}

long VepcWorld::create_enclave() {
  const int fd = f_.open_enclave();
  if (fd < 0) return fd;
  testlib::EnclaveSpec other = spec_;
  other.base = 2 * spec_.base;
  long ret = 0;
  ksgxd_.run(f_.process(), [&] { ret = f_.create(fd, other); });
  if (const int closed = f_.process().close(fd); closed != 0) {
    throw std::runtime_error("close of the created enclave: " + std::to_string(closed));
  }
  return ret;
}

uint64_t VepcWorld::enclave_word(uint64_t page, uint64_t at) const {
  const std::vector<uint8_t> bytes = testlib::DriverFixture::page_bytes(spec_, page);
  uint64_t v = 0;
  std::memcpy(&v, bytes.data() + at, sizeof v);
  return v;
}

long VepcWorld::remove_all(int id, uint64_t arg) {
  return f_.process().ioctl(fd_.at(id), uapi::ioctl::kVepcRemoveAll, arg);
}

long VepcWorld::close(int id) {
  if (mapped_.at(id)) {
    if (const int ret = f_.process().munmap(address_of(id), kPages * kPage); ret != 0) return ret;
  }
  const int ret = f_.process().close(fd_.at(id));
  fd_.erase(id);
  mapped_.erase(id);
  return ret;
}

void VepcWorld::reclaim_batch() {
  kernel::CpuHold cpu;
  f_.sgx().reclaim_pages();
}

void VepcWorld::evict_all() {
  kernel::CpuHold cpu;
  for (int i = 0; i < 1000 && f_.sgx().lru_pages() > 0; ++i) f_.sgx().reclaim_pages();
}

uint64_t VepcWorld::enclave_pages() {
  driver::Encl& encl = f_.encl_of(encl_fd_);
  sched::MutexLock l(encl.lock);
  uint64_t n = encl.secs.epc_page != nullptr ? 1 : 0;
  for (const auto& va : encl.va_pages) n += va->epc_page != nullptr ? 1 : 0;
  for (const auto& [pfn, page] : encl.page_array) n += page->epc_page != nullptr ? 1 : 0;
  return n;
}

std::string VepcWorld::differences(const mu::Vepc& m) {
  std::ostringstream d;
  hw::Inspector in(f_.machine());
  using Kind = mu::GuestPage::Kind;
  uint64_t vepc_pages = 0;
  for (const auto& [id, inst] : m.open) {
    if (fd_.count(id) == 0) {
      d << "instance " << id << " is not open\n";
      continue;
    }
    driver::SgxVepc& vepc = vepc_of(id);
    // The page array, walked as xa_for_each does.
    std::map<uint64_t, uint32_t> allocated;
    for (uint64_t index = 0; driver::EpcPage* p = vepc.xa_find(index); ++index) {
      allocated[index] = *f_.machine().epc_slot(p->addr);
    }
    vepc_pages += allocated.size();
    for (const auto& [index, slot] : allocated) {
      if (inst.pages.count(index) == 0) d << "instance " << id << ": page " << index << " allocated\n";
    }
    for (const auto& [index, page] : inst.pages) {
      const mu::VepcPageRef ref{id, index};
      const auto got = allocated.find(index);
      if (got == allocated.end()) {
        d << "instance " << id << ": page " << index << " not allocated\n";
        continue;
      }
      if (got->second != slot_.at(ref)) {
        d << "instance " << id << ": page " << index << " moved from EPC slot " << slot_.at(ref)
          << " to " << got->second << "\n";
        continue;
      }
      const hw::EpcmEntry e = in.epcm(got->second);
      bool same = false;
      switch (page.kind) {
        case Kind::kFree: same = !e.valid; break;
        case Kind::kSecs: same = e.valid && e.type == hw::PageType::kSecs; break;
        case Kind::kChild:
          same = e.valid && e.type == hw::PageType::kReg && e.secs == slot_.at(page.secs);
          break;
      }
      if (!same) {
        d << "instance " << id << ": page " << index << " (model kind " << int(page.kind)
          << ") has EPCM " << e << "\n";
      }
    }
  }
  for (const auto& [id, fd] : fd_) {
    if (m.open.count(id) == 0) d << "instance " << id << " is open, not in the model\n";
  }
  const uint64_t zombies = guest_.device().nr_zombie_secs_pages();
  if (zombies != m.zombies.size()) {
    d << zombies << " zombie SECS pages, model " << m.zombies.size() << "\n";
  }
  for (const mu::VepcPageRef& z : m.zombies) {
    const hw::EpcmEntry e = in.epcm(slot_.at(z));
    if (!e.valid || e.type != hw::PageType::kSecs) {
      d << "zombie " << z.instance << ":" << z.index << " has EPCM " << e << "\n";
    }
  }
  // The enclave's pages no reclaim frees: its VA pages, and a SECS the model says is
  // pinned, resident with no child.
  {
    driver::Encl& encl = f_.encl_of(encl_fd_);
    sched::MutexLock l(encl.lock);
    if (encl.va_pages.size() != kVaPages) d << "the enclave has " << encl.va_pages.size() << " VA pages\n";
    uint64_t children = 0;
    for (const auto& [pfn, page] : encl.page_array) children += page->epc_page != nullptr ? 1 : 0;
    if (m.secs_pinned && (encl.secs.epc_page == nullptr || children != 0)) {
      d << "the model pins the SECS; the driver has it " << (encl.secs.epc_page ? "" : "not ")
        << "resident with " << children << " children resident\n";
    }
  }
  // D5: every EPC page in use is the enclave's, an allocated vEPC page or a zombie.
  driver::Sgx& sgx = f_.sgx();
  const uint64_t in_use = enclave_pages() + vepc_pages + zombies;
  if (in_use + sgx.nr_free_pages() != sgx.total_pages()) {
    d << "D5: " << in_use << " EPC pages in use and " << sgx.nr_free_pages() << " free, of "
      << sgx.total_pages() << "\n";
  }
  // Every page allocated is charged (the vEPC's to the VMM's group, here the root)
  // until it is freed: a zombie stays charged.
  if (const uint64_t charged = sgx.cgroups().root().current(); charged != in_use) {
    d << "D5: the root group is charged " << charged << " pages, " << in_use << " in use\n";
  }
  for (const auto& [what, n] : sgx.warning_counts()) {
    d << "driver WARN: " << what << " x" << n << "\n";
  }
  return d.str();
}

std::string VepcWorld::teardown_differences(mu::Vepc& m) {
  std::ostringstream d;
  while (!m.open.empty()) {
    const int id = m.open.begin()->first;
    mu::vepc_close(m, id);
    if (const long ret = close(id); ret != 0) d << "close of instance " << id << ": " << ret << "\n";
  }
  d << differences(m);
  if (f_.process().munmap(spec_.base, testlib::DriverFixture::size_of(spec_)) != 0) {
    d << "munmap of the enclave failed\n";
  }
  if (f_.process().close(encl_fd_) != 0) d << "close of the enclave failed\n";
  driver::Sgx& sgx = f_.sgx();
  if (sgx.nr_free_pages() + m.zombies.size() != sgx.total_pages()) {
    d << "after release " << sgx.total_pages() - sgx.nr_free_pages()
      << " EPC pages are still in use, model zombies " << m.zombies.size() << "\n";
  }
  if (const uint64_t charged = sgx.cgroups().root().current(); charged != m.zombies.size()) {
    d << "after release the root group is charged " << charged << " pages\n";
  }
  for (const auto& [what, n] : sgx.warning_counts()) {
    d << "driver WARN: " << what << " x" << n << "\n";
  }
  return d.str();
}

}  // namespace sgxref::props
