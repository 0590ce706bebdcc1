// mmap and mprotect of an enclave (Linux driver.c sgx_mmap/sgx_get_unmapped_area,
// encl.c sgx_encl_may_map and sgx_vma_mprotect): MAP_PRIVATE is -EINVAL; once the
// enclave is initialized a range outside ELRANGE is -EACCES; rights above some page's
// vm_max_prot_bits are -EACCES for mmap and mprotect alike, holes constrain nothing. A
// refusal creates no VMA, adds no address space to the enclave and changes nothing else.
#include <gtest/gtest.h>

#include <vector>

#include "driver/encl.h"
#include "driver_fixture.h"
#include "kernel/errno.h"
#include "kernel/fault_inject.h"
#include "kernel/run_queue.h"
#include "kernel/vm_flags.h"
#include "sched/rw_mutex.h"
#include "uapi/page_type.h"

namespace sgxref::testlib {
namespace {

namespace sf = uapi::secinfo_flag;
using kernel::MAP_FIXED;
using kernel::MAP_PRIVATE;
using kernel::MAP_SHARED;
using kernel::PROT_EXEC;
using kernel::PROT_READ;
using kernel::PROT_WRITE;
constexpr uint64_t kPage = hw::kPageSize;

// An initialized, unmapped enclave: TCS at page 0, 4 REG RW pages at 1..4, pages 5..7 of
// its 8-page ELRANGE holes.
struct Inited {
  DriverFixture f;
  EnclaveSpec spec;
  int fd = -1;
  explicit Inited(bool init = true) {
    fd = f.open_enclave();
    EXPECT_EQ(f.create(fd, spec), 0);
    EXPECT_EQ(f.add_tcs(fd), 0);
    EXPECT_EQ(f.add_reg(fd, spec, 0, spec.reg_pages), 0);
    if (init) {
      EXPECT_EQ(f.init(fd, spec), 0);
    }
  }
  long mmap(hw::LAddr at, uint64_t len, uint64_t prot, uint64_t flags = MAP_SHARED | MAP_FIXED) {
    return f.process().mmap(at, len, prot, flags, fd, 0);
  }
  uint64_t page(uint64_t i) const { return spec.base + i * kPage; }
  size_t mms() { return f.encl_of(fd).mm_list().size(); }
  uint64_t vma_flags(hw::LAddr a) {
    kernel::CpuHold cpu;
    sched::ReaderLock l(f.process().mm().mmap_lock);
    const kernel::Vma* v = f.process().mm().find_vma(a);
    return v == nullptr ? 0 : v->flags;
  }
};

// A refused mmap/mprotect left the address space and the enclave alone, and the enclave
// still maps and reads back.
void expect_refusal_changed_nothing(Inited& e, size_t vmas, size_t mms, uint64_t free_pages) {
  EXPECT_EQ(e.f.vma_count(), vmas);
  EXPECT_EQ(e.mms(), mms);
  EXPECT_EQ(e.f.sgx().nr_free_pages(), free_pages);
  EXPECT_EQ(e.f.sgx().warnings(), 0u);
  ASSERT_EQ(e.mmap(e.spec.base, DriverFixture::size_of(e.spec), PROT_READ | PROT_WRITE),
            long(e.spec.base));
  std::vector<uint8_t> got(kPage);
  EXPECT_EQ(e.f.peek(e.page(2), got.data(), int(kPage)), int(kPage));
  EXPECT_EQ(got, DriverFixture::page_bytes(e.spec, 1));
}

TEST(DriverMmap, ASharedMappingOfTheRangeIsAPfnmapIoVmaAndAddsTheAddressSpace) {
  Inited e;
  EXPECT_EQ(e.mms(), 0u);
  ASSERT_EQ(e.mmap(e.spec.base, DriverFixture::size_of(e.spec), PROT_READ | PROT_WRITE),
            long(e.spec.base));
  const uint64_t flags = e.vma_flags(e.spec.base);
  for (const uint64_t bit : {kernel::VM_PFNMAP, kernel::VM_DONTEXPAND, kernel::VM_DONTDUMP,
                             kernel::VM_IO, kernel::VM_SHARED, kernel::VM_READ, kernel::VM_WRITE}) {
    EXPECT_NE(flags & bit, 0u) << std::hex << bit;
  }
  EXPECT_EQ(flags & kernel::VM_EXEC, 0u);
  EXPECT_EQ(e.mms(), 1u);
  // A second mapping from the same address space adds it once.
  ASSERT_EQ(e.mmap(e.page(1), kPage, PROT_READ), long(e.page(1)));
  EXPECT_EQ(e.mms(), 1u);
  EXPECT_EQ(e.f.sgx().warnings(), 0u);
}

TEST(DriverMmap, APrivateMappingIsEinval) {
  Inited e;
  const size_t vmas = e.f.vma_count();
  const uint64_t free_pages = e.f.sgx().nr_free_pages();
  EXPECT_EQ(e.mmap(e.spec.base, DriverFixture::size_of(e.spec), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_FIXED),
            -EINVAL);
  EXPECT_EQ(e.mmap(0, kPage, PROT_READ, MAP_PRIVATE), -EINVAL);
  expect_refusal_changed_nothing(e, vmas, 0, free_pages);
}

TEST(DriverMmap, NoMemoryForTheAddressSpacesRecordIsEnomem) {
  Inited e;
  const size_t vmas = e.f.vma_count();
  const uint64_t free_pages = e.f.sgx().nr_free_pages();
  e.f.kernel().faults().enable(kernel::FailPoint::kKmalloc, 100, 1);
  EXPECT_EQ(e.mmap(e.spec.base, DriverFixture::size_of(e.spec), PROT_READ | PROT_WRITE),
            -ENOMEM)
      << "sgx_encl_mm_add";
  e.f.kernel().faults().disable_all();
  expect_refusal_changed_nothing(e, vmas, 0, free_pages);
}

TEST(DriverMmap, OnceInitializedARangeLeavingElrangeIsEacces) {
  Inited e;
  const uint64_t size = DriverFixture::size_of(e.spec);
  const size_t vmas = e.f.vma_count();
  const uint64_t free_pages = e.f.sgx().nr_free_pages();
  EXPECT_EQ(e.mmap(e.spec.base + size, kPage, PROT_READ), -EACCES) << "just above";
  EXPECT_EQ(e.mmap(e.spec.base - kPage, kPage, PROT_READ), -EACCES) << "just below";
  EXPECT_EQ(e.mmap(e.spec.base - kPage, size + kPage, PROT_READ), -EACCES) << "starting below";
  EXPECT_EQ(e.mmap(e.spec.base, size + kPage, PROT_READ), -EACCES) << "running past the end";
  EXPECT_EQ(e.mmap(0, kPage, PROT_READ, MAP_SHARED), -EACCES) << "where the kernel chooses";
  expect_refusal_changed_nothing(e, vmas, 0, free_pages);
}

TEST(DriverMmap, BeforeInitARangeOutsideElrangeMaps) {
  Inited e(false);
  const uint64_t size = DriverFixture::size_of(e.spec);
  EXPECT_EQ(e.mmap(e.spec.base + size, kPage, PROT_READ | PROT_WRITE), long(e.spec.base + size));
  EXPECT_EQ(e.mms(), 1u);
  EXPECT_EQ(e.f.sgx().warnings(), 0u);
}

TEST(DriverMmap, RightsAboveAPagesMaximumAreEacces) {
  Inited e;
  const size_t vmas = e.f.vma_count();
  const uint64_t free_pages = e.f.sgx().nr_free_pages();
  const uint64_t size = DriverFixture::size_of(e.spec);
  EXPECT_EQ(e.mmap(e.spec.base, size, PROT_READ | PROT_EXEC), -EACCES) << "X over RW pages";
  EXPECT_EQ(e.mmap(e.page(2), kPage, PROT_EXEC), -EACCES) << "X over one RW page";
  EXPECT_EQ(e.mmap(e.page(4), 2 * kPage, PROT_READ | PROT_WRITE | PROT_EXEC), -EACCES)
      << "RWX over a RW page and a hole";
  EXPECT_EQ(e.mmap(e.page(0), kPage, PROT_READ | PROT_EXEC), -EACCES) << "X over the TCS";
  expect_refusal_changed_nothing(e, vmas, 0, free_pages);
}

TEST(DriverMmap, HolesConstrainNothingAndTheTcsMapsReadWrite) {
  Inited e;
  EXPECT_EQ(e.mmap(e.page(5), 3 * kPage, PROT_READ | PROT_WRITE | PROT_EXEC), long(e.page(5)));
  EXPECT_EQ(e.mmap(e.page(0), kPage, PROT_READ | PROT_WRITE), long(e.page(0)));
  EXPECT_EQ(e.mmap(e.page(1), 4 * kPage, PROT_READ), long(e.page(1))) << "fewer rights";
  EXPECT_EQ(e.f.sgx().warnings(), 0u);
}

TEST(DriverMmap, AWriteMappingOfReadExecutePagesIsEacces) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  ASSERT_EQ(f.create(fd, spec), 0);
  ASSERT_EQ(f.add_tcs(fd), 0);
  ASSERT_EQ(f.add_pages(fd, kPage, DriverFixture::reg_bytes(spec, 0, 1),
                        sf::kR | sf::kX | sf::type(uapi::PageType::kReg)),
            0);
  const size_t vmas = f.vma_count();
  EXPECT_EQ(f.process().mmap(spec.base + kPage, kPage, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_FIXED, fd, 0),
            -EACCES);
  EXPECT_EQ(f.vma_count(), vmas);
  EXPECT_EQ(f.process().mmap(spec.base + kPage, kPage, PROT_READ | PROT_EXEC,
                             MAP_SHARED | MAP_FIXED, fd, 0),
            long(spec.base + kPage));
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverMmap, MprotectAboveAPagesMaximumIsEaccesAndKeepsTheVma) {
  Inited e;
  const uint64_t size = DriverFixture::size_of(e.spec);
  ASSERT_EQ(e.mmap(e.spec.base, size, PROT_READ | PROT_WRITE), long(e.spec.base));
  const size_t vmas = e.f.vma_count();
  const uint64_t flags = e.vma_flags(e.page(2));
  EXPECT_EQ(e.f.process().mprotect(e.spec.base, size, PROT_READ | PROT_EXEC), -EACCES);
  EXPECT_EQ(e.f.process().mprotect(e.page(2), kPage, PROT_EXEC), -EACCES);
  EXPECT_EQ(e.f.process().mprotect(e.page(0), kPage, PROT_READ | PROT_WRITE | PROT_EXEC),
            -EACCES)
      << "the TCS";
  EXPECT_EQ(e.f.vma_count(), vmas) << "no split";
  EXPECT_EQ(e.vma_flags(e.page(2)), flags);
  // Within the maximum, and RWX over the holes, mprotect goes through.
  EXPECT_EQ(e.f.process().mprotect(e.page(2), kPage, PROT_READ), 0);
  EXPECT_EQ(e.vma_flags(e.page(2)) & kernel::kVmProtMask, kernel::VM_READ);
  EXPECT_EQ(e.f.process().mprotect(e.page(2), kPage, PROT_READ | PROT_WRITE), 0);
  EXPECT_EQ(e.f.process().mprotect(e.page(5), 3 * kPage, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
  std::vector<uint8_t> got(kPage);
  EXPECT_EQ(e.f.peek(e.page(2), got.data(), int(kPage)), int(kPage));
  EXPECT_EQ(got, DriverFixture::page_bytes(e.spec, 1));
  EXPECT_EQ(e.f.sgx().warnings(), 0u);
}

}  // namespace
}  // namespace sgxref::testlib
