#include "driver_fixture.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "driver/encl.h"
#include "hw/inspect.h"
#include "kernel/uaccess.h"
#include "kernel/user_mode.h"
#include "kernel/vm_flags.h"
#include "sign/enclave_measurement.h"
#include "sign/sigstruct.h"
#include "testlib/enclave_builder.h"
#include "testlib/test_signing_key.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/sgx_ioctl.h"
#include "uapi/tcs.h"

namespace sgxref::testlib {

namespace {

namespace sf = uapi::secinfo_flag;
constexpr uint64_t kPage = hw::kPageSize;

uint64_t enclave_size(const EnclaveSpec& spec) {
  if (spec.size != 0) return spec.size;
  uint64_t size = 2 * kPage;
  while (size < (1 + spec.reg_pages) * kPage) size *= 2;
  return size;
}

}  // namespace

DriverFixture::DriverFixture(const DriverFixtureOptions& o) {
  hw::Config cfg;
  cfg.epc_pages = o.epc_pages;
  cfg.epc_sections = o.epc_sections;
  cfg.ram_pages = o.ram_pages;
  cfg.sgx2 = o.sgx2;
  m_ = std::make_unique<hw::Machine>(cfg);
  k_ = std::make_unique<kernel::Kernel>(*m_);
  boot_ = std::make_unique<kernel::Task>(*k_, "boot");
  boot_scope_ = std::make_unique<kernel::TaskScope>(*boot_);
  driver::SgxDriver::Options dopts;
  dopts.sgx.ksgxd_thread = o.ksgxd_thread;
  dopts.alternatives = o.alternatives;
  d_ = std::make_unique<driver::SgxDriver>(*k_, dopts);
  p_ = std::make_unique<kernel::Process>(*k_);
  task_ = std::make_unique<kernel::Task>(*p_, "user");
  scope_ = std::make_unique<kernel::TaskScope>(*task_);
}

DriverFixture::~DriverFixture() {
  p_->exit();
  scope_.reset();
  task_.reset();
  p_.reset();
  d_.reset();
  boot_scope_.reset();
  boot_.reset();
}

hw::LAddr DriverFixture::user_alloc(uint64_t len) {
  const long a = p_->mmap(0, len, kernel::PROT_READ | kernel::PROT_WRITE,
                          kernel::MAP_PRIVATE | kernel::MAP_ANONYMOUS, -1, 0);
  EXPECT_GT(a, 0) << "anonymous mmap of " << len << " bytes";
  return hw::LAddr(a);
}

// The test program's own loads and stores, not the kernel's copies: an injected
// copy_from_user failure is for the driver's calls only.
void DriverFixture::user_write(hw::LAddr a, const void* src, uint64_t n) {
  kernel::CpuHold cpu;
  ASSERT_EQ(kernel::user_store(a, src, n), kernel::FaultResult::kHandled);
}

void DriverFixture::user_read(hw::LAddr a, void* dst, uint64_t n) {
  kernel::CpuHold cpu;
  ASSERT_EQ(kernel::user_load(a, dst, n), kernel::FaultResult::kHandled);
}

uapi::Secs DriverFixture::secs_for(const EnclaveSpec& spec) const {
  uapi::Secs secs = make_secs(spec.base, enclave_size(spec));
  secs.attributes = spec.attributes;
  return secs;
}

std::vector<uint8_t> DriverFixture::page_bytes(const EnclaveSpec& spec, uint64_t i) {
  std::vector<uint8_t> page(kPage);
  for (uint64_t j = 0; j < kPage; ++j) page[j] = uint8_t(i * 131 + j * 7 + spec.seed);
  std::memcpy(page.data(), &i, sizeof(i));
  return page;
}

std::vector<uint8_t> DriverFixture::tcs_bytes() {
  const uapi::Tcs tcs = make_tcs(kPage, kPage);
  std::vector<uint8_t> page(kPage);
  std::memcpy(page.data(), &tcs, sizeof(tcs));
  return page;
}

uapi::SigStruct DriverFixture::sigstruct_for(const EnclaveSpec& spec) const {
  return sigstruct_with(spec, nullptr);
}

int DriverFixture::build_enclave(const EnclaveSpec& spec) {
  const int fd = p_->open("sgx_enclave");
  EXPECT_GE(fd, 0);
  const uapi::Secs secs = secs_for(spec);
  const hw::LAddr secs_at = user_alloc(kPage);
  user_write(secs_at, &secs, sizeof(secs));
  uapi::EnclaveCreate create{secs_at};
  EXPECT_EQ(ioctl(fd, uapi::ioctl::kEnclaveCreate, create), 0);

  const hw::LAddr secinfo_at = user_alloc(kPage);
  uapi::SecInfo si{};
  si.flags = sf::type(uapi::PageType::kTcs);
  user_write(secinfo_at, &si, sizeof(si));
  const hw::LAddr tcs_at = user_alloc(kPage);
  user_write(tcs_at, tcs_bytes().data(), kPage);
  uapi::EnclaveAddPages add{tcs_at, 0, kPage, secinfo_at, uapi::kPageMeasure, 0};
  EXPECT_EQ(ioctl(fd, uapi::ioctl::kEnclaveAddPages, add), 0);
  EXPECT_EQ(add.count, kPage);

  si.flags = sf::kR | sf::kW | sf::type(uapi::PageType::kReg);
  user_write(secinfo_at, &si, sizeof(si));
  // In chunks, so the source buffer stays small for large enclaves.
  constexpr uint64_t kChunk = 256;
  const hw::LAddr src = user_alloc(kChunk * kPage);
  for (uint64_t first = 0; first < spec.reg_pages; first += kChunk) {
    const uint64_t n = std::min(kChunk, spec.reg_pages - first);
    for (uint64_t i = 0; i < n; ++i) {
      user_write(src + i * kPage, page_bytes(spec, first + i).data(), kPage);
    }
    uapi::EnclaveAddPages reg{src, (1 + first) * kPage, n * kPage, secinfo_at,
                              uapi::kPageMeasure, 0};
    EXPECT_EQ(ioctl(fd, uapi::ioctl::kEnclaveAddPages, reg), 0);
    EXPECT_EQ(reg.count, n * kPage);
  }

  const uapi::SigStruct sig = sigstruct_for(spec);
  const hw::LAddr sig_at = user_alloc(sizeof(sig));
  user_write(sig_at, &sig, sizeof(sig));
  uapi::EnclaveInit init{sig_at};
  EXPECT_EQ(ioctl(fd, uapi::ioctl::kEnclaveInit, init), 0);

  const long at = p_->mmap(spec.base, secs.size, kernel::PROT_READ | kernel::PROT_WRITE,
                           kernel::MAP_SHARED | kernel::MAP_FIXED, fd, 0);
  EXPECT_EQ(at, long(spec.base));
  return fd;
}

uint64_t DriverFixture::size_of(const EnclaveSpec& spec) { return enclave_size(spec); }

driver::Encl& DriverFixture::encl_of(int fd) {
  kernel::FileRef f = p_->file(fd);
  EXPECT_TRUE(f != nullptr) << "fd " << fd << " is not open";
  return *static_cast<driver::Encl*>(f->private_data.get());
}

long DriverFixture::create_secs(int fd, const uapi::Secs& secs) {
  const hw::LAddr secs_at = user_alloc(kPage);
  user_write(secs_at, &secs, sizeof(secs));
  uapi::EnclaveCreate create{secs_at};
  return ioctl(fd, uapi::ioctl::kEnclaveCreate, create);
}

hw::LAddr DriverFixture::user_secinfo(uint64_t flags) {
  const hw::LAddr at = user_alloc(kPage);
  uapi::SecInfo si{};
  si.flags = flags;
  user_write(at, &si, sizeof(si));
  return at;
}

hw::LAddr DriverFixture::user_pages(const std::vector<uint8_t>& bytes) {
  const hw::LAddr at = user_alloc(bytes.size());
  user_write(at, bytes.data(), bytes.size());
  return at;
}

long DriverFixture::add_pages(int fd, uint64_t offset, const std::vector<uint8_t>& contents,
                              uint64_t secinfo_flags, uint64_t flags, uint64_t* count) {
  uapi::EnclaveAddPages add{user_pages(contents), offset, contents.size(),
                            user_secinfo(secinfo_flags), flags, 0};
  const long ret = ioctl(fd, uapi::ioctl::kEnclaveAddPages, add);
  if (count != nullptr) *count = add.count;
  return ret;
}

long DriverFixture::add_tcs(int fd, uint64_t* count) {
  return add_pages(fd, 0, tcs_bytes(), sf::type(uapi::PageType::kTcs), uapi::kPageMeasure,
                   count);
}

std::vector<uint8_t> DriverFixture::reg_bytes(const EnclaveSpec& spec, uint64_t first,
                                              uint64_t n) {
  std::vector<uint8_t> bytes;
  for (uint64_t i = first; i < first + n; ++i) {
    const std::vector<uint8_t> page = page_bytes(spec, i);
    bytes.insert(bytes.end(), page.begin(), page.end());
  }
  return bytes;
}

long DriverFixture::add_reg(int fd, const EnclaveSpec& spec, uint64_t first, uint64_t n,
                            uint64_t* count) {
  return add_pages(fd, (1 + first) * kPage, reg_bytes(spec, first, n),
                   sf::kR | sf::kW | sf::type(uapi::PageType::kReg), uapi::kPageMeasure, count);
}

long DriverFixture::init(int fd, const uapi::SigStruct& sig) {
  const hw::LAddr sig_at = user_alloc(sizeof(sig));
  user_write(sig_at, &sig, sizeof(sig));
  uapi::EnclaveInit init{sig_at};
  return ioctl(fd, uapi::ioctl::kEnclaveInit, init);
}

long DriverFixture::map(int fd, const EnclaveSpec& spec, uint64_t prot) {
  return p_->mmap(spec.base, enclave_size(spec), prot, kernel::MAP_SHARED | kernel::MAP_FIXED,
                  fd, 0);
}

uapi::SigStruct DriverFixture::sigstruct_for_order(const EnclaveSpec& spec,
                                                   const std::vector<uint64_t>& order) const {
  return signed_for(spec, order, nullptr);
}

uapi::SigStruct DriverFixture::sigstruct_with(
    const EnclaveSpec& spec, const std::function<void(sign::SigStructParams&)>& edit) const {
  std::vector<uint64_t> order;
  for (uint64_t i = 0; i < spec.reg_pages; ++i) order.push_back(i);
  return signed_for(spec, order, edit);
}

uapi::SigStruct DriverFixture::signed_for(
    const EnclaveSpec& spec, const std::vector<uint64_t>& order,
    const std::function<void(sign::SigStructParams&)>& edit) const {
  const uapi::Secs secs = secs_for(spec);
  sign::EnclaveMeasurement mr(secs.ssa_frame_size, secs.size);
  mr.add_measured(0, sf::type(uapi::PageType::kTcs), tcs_bytes().data());
  for (uint64_t i : order) {
    mr.add_measured((1 + i) * kPage, sf::kR | sf::kW | sf::type(uapi::PageType::kReg),
                    page_bytes(spec, i).data());
  }
  sign::SigStructParams p;
  p.attributes = secs.attributes;
  p.attributes_mask = ~uint64_t(0);
  p.xfrm = secs.xfrm;
  p.xfrm_mask = ~uint64_t(0);
  p.miscselect = secs.miscselect;
  p.misc_mask = ~uint32_t(0);
  p.mrenclave = mr.mrenclave();
  if (edit) edit(p);
  return sign::make_sigstruct(test_signing_key(), p);
}

std::array<uint8_t, 32> DriverFixture::mrenclave_of(int fd) {
  driver::Encl& encl = encl_of(fd);
  std::array<uint8_t, 32> out{};
  if (encl.secs.epc_page == nullptr) {
    ADD_FAILURE() << "the SECS is not resident";
    return out;
  }
  const std::optional<uint32_t> slot = m_->epc_slot(encl.secs.epc_page->addr);
  if (!slot) {
    ADD_FAILURE() << "the SECS is not in the EPC";
    return out;
  }
  const hw::Digest d = hw::Inspector(*m_).secs(*slot).mrenclave;
  std::copy(d.begin(), d.end(), out.begin());
  return out;
}

size_t DriverFixture::vma_count() {
  kernel::CpuHold cpu;
  sched::ReaderLock l(p_->mm().mmap_lock);
  return p_->mm().vmas().size();
}

void DriverFixture::finish_build(int fd, const EnclaveSpec& spec, bool with_tcs,
                                 std::vector<uint64_t> order) {
  if (with_tcs) {
    uint64_t count = 0;
    EXPECT_EQ(add_tcs(fd, &count), 0) << "the TCS";
    EXPECT_EQ(count, kPage);
  }
  uint64_t first = 0;
  for (uint64_t i : order) first = std::max(first, i + 1);
  if (first < spec.reg_pages) {
    uint64_t count = 0;
    EXPECT_EQ(add_reg(fd, spec, first, spec.reg_pages - first, &count), 0) << "REG pages";
    EXPECT_EQ(count, (spec.reg_pages - first) * kPage);
    for (uint64_t i = first; i < spec.reg_pages; ++i) order.push_back(i);
  }
  const uapi::SigStruct sig = sigstruct_for_order(spec, order);
  EXPECT_EQ(init(fd, sig), 0) << "INIT";
  const std::array<uint8_t, 32> mr = mrenclave_of(fd);
  EXPECT_EQ(0, std::memcmp(mr.data(), sig.body.mrenclave, 32)) << "MRENCLAVE";
  EXPECT_EQ(map(fd, spec, kernel::PROT_READ | kernel::PROT_WRITE), long(spec.base));
  if (spec.attributes & uapi::attr::kDebug) {
    for (uint64_t i = 0; i < spec.reg_pages; ++i) {
      std::vector<uint8_t> got(kPage);
      EXPECT_EQ(peek(spec.base + (1 + i) * kPage, got.data(), int(kPage)), int(kPage));
      EXPECT_EQ(got, page_bytes(spec, i)) << "page " << i;
    }
  }
}

void DriverFixture::reclaim_if_low() {
  if (sgx().nr_free_pages() < sgx().low_watermark()) sgx().ksgxd_step();
}

}  // namespace sgxref::testlib
