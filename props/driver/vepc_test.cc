// The virtual EPC (Linux's virt.c): /dev/sgx_vepc's open, mmap and fault, pages that
// no reclaim ever takes, SGX_IOC_VEPC_REMOVE_ALL's return values, and release's two
// passes with the zombie SECS list, with a guest kernel (guest_kernel.h) building and
// running enclaves in the pages. Every test ends with every EPC page free again.
#include <gtest/gtest.h>

#include <vector>

#include "driver/virt.h"
#include "driver_fixture.h"
#include "guest_kernel.h"
#include "hw/cpu.h"
#include "kernel/errno.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "kernel/user_mode.h"
#include "kernel/vm_flags.h"
#include "sched/rw_mutex.h"
#include "testlib/pause_at.h"
#include "uapi/sgx_ioctl.h"

namespace sgxref::testlib {
namespace {

constexpr uint64_t kPage = hw::kPageSize;
// ELRANGE of the guest's enclaves: 4 pages (a TCS, two REG pages, one unused).
constexpr hw::LAddr kGuestBase = 0x8000'0000;

EnclaveSpec guest_spec() {
  EnclaveSpec spec;
  spec.base = kGuestBase;
  spec.reg_pages = 2;
  return spec;
}

class Vepc : public ::testing::Test {
 protected:
  long remove_all(int fd, hw::LAddr arg = 0) {
    return f.process().ioctl(fd, uapi::ioctl::kVepcRemoveAll, arg);
  }

  // The instance goes once neither its descriptor nor its mapping holds it.
  void release(int fd, hw::LAddr at, uint64_t pages) {
    ASSERT_EQ(f.process().munmap(at, pages * kPage), 0);
    ASSERT_EQ(f.process().close(fd), 0);
  }

  // One instance mapped over ELRANGE: the enclave's page i in page i, its SECS in the
  // last page (ELRANGE's unused one).
  struct OneInstance {
    int fd;
    hw::LAddr secs_va;
  };
  OneInstance map_one_instance() {
    const int fd = guest.open_vepc();
    EXPECT_GE(fd, 0);
    EXPECT_EQ(guest.map(fd, kGuestBase, 4), long(kGuestBase));
    return {fd, kGuestBase + 3 * kPage};
  }

  void expect_every_page_back() {
    EXPECT_EQ(guest.device().nr_zombie_secs_pages(), 0u);
    EXPECT_EQ(f.sgx().nr_free_pages(), free_at_start);
    EXPECT_EQ(f.sgx().nr_free_pages(), f.sgx().total_pages());
    EXPECT_EQ(f.sgx().warnings(), 0u);
  }

  DriverFixture f;
  GuestKernel guest{f};
  const uint64_t free_at_start = f.sgx().nr_free_pages();
};

TEST_F(Vepc, SgxVepcOpenFailsWithEnomemWhenItsRecordCannotBeAllocated) {
  f.kernel().faults().enable(kernel::FailPoint::kKmalloc, 100, 1);
  EXPECT_EQ(guest.open_vepc(), -ENOMEM);
  f.kernel().faults().disable_all();
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcMmapWithoutVmSharedIsEinval) {
  const int fd = guest.open_vepc();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(f.process().mmap(0, 4 * kPage, kernel::PROT_READ | kernel::PROT_WRITE,
                             kernel::MAP_PRIVATE, fd, 0),
            -EINVAL);
  ASSERT_EQ(f.process().close(fd), 0);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcMmapSetsPfnmapIoDontdumpDontcopySoForkLeavesTheMappingOut) {
  const int fd = guest.open_vepc();
  const long at = guest.map(fd, 0, 2);
  ASSERT_GT(at, 0);
  {
    sched::ReaderLock l(f.process().mm().mmap_lock);
    const kernel::Vma* vma = f.process().mm().find_vma(hw::LAddr(at));
    ASSERT_NE(vma, nullptr);
    const uint64_t want =
        kernel::VM_PFNMAP | kernel::VM_IO | kernel::VM_DONTDUMP | kernel::VM_DONTCOPY;
    EXPECT_EQ(vma->flags & want, want);
  }
  ASSERT_NE(guest.epc_page(hw::LAddr(at)), 0u);
  std::unique_ptr<kernel::Process> child = f.process().fork();
  {
    sched::ReaderLock l(child->mm().mmap_lock);
    EXPECT_EQ(child->mm().find_vma(hw::LAddr(at)), nullptr);
  }
  child->exit();
  release(fd, hw::LAddr(at), 2);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcFaultAllocatesOnePagePerIndexAndMapsItOnlyWhereItWasAllocated) {
  const int fd = guest.open_vepc();
  const long a = guest.map(fd, 0, 4);
  // The same file from page 2 on: index = vm_pgoff + page offset in the VMA.
  const long b = guest.map(fd, 0, 2, 2);
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  const hw::PAddr page2 = guest.epc_page(hw::LAddr(a) + 2 * kPage);
  ASSERT_NE(page2, 0u);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_at_start - 1);
  // __sgx_vepc_fault answers an index that already has a page with success and maps
  // nothing (it is there for two faults racing on one address): the other mapping of
  // index 2 gets no PTE and no second page. QEMU maps each instance once.
  EXPECT_EQ(guest.epc_page(hw::LAddr(b)), 0u);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_at_start - 1);
  const hw::PAddr page3 = guest.epc_page(hw::LAddr(b) + kPage);
  EXPECT_NE(page3, 0u);
  EXPECT_NE(page3, page2);
  EXPECT_EQ(guest.epc_page(hw::LAddr(a) + 3 * kPage), 0u);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_at_start - 2);
  EXPECT_EQ(f.sgx().lru_pages(), 0u);

  // Another instance's index 2 is another page.
  const int other = guest.open_vepc();
  const long c = guest.map(other, 0, 4);
  const hw::PAddr other2 = guest.epc_page(hw::LAddr(c) + 2 * kPage);
  EXPECT_NE(other2, 0u);
  EXPECT_NE(other2, page2);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_at_start - 3);

  ASSERT_EQ(f.process().munmap(hw::LAddr(b), 2 * kPage), 0);
  release(fd, hw::LAddr(a), 4);
  release(other, hw::LAddr(c), 4);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcFaultWhoseXaStoreFailsFreesThePageAndIsSigbus) {
  const int fd = guest.open_vepc();
  const long at = guest.map(fd, 0, 1);
  ASSERT_GT(at, 0);
  f.kernel().faults().enable(kernel::FailPoint::kKmalloc, 100, 1);
  {
    kernel::CpuHold cpu;
    EXPECT_EQ(f.process().mm().handle_mm_fault(hw::LAddr(at), true, false),
              kernel::FaultResult::kSigbus);
  }
  f.kernel().faults().disable_all();
  EXPECT_EQ(f.sgx().nr_free_pages(), free_at_start);
  release(fd, hw::LAddr(at), 1);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcFaultWithTheEpcExhaustedAndNothingReclaimableIsSigbus) {
  const uint64_t total = f.sgx().total_pages();
  const int fd = guest.open_vepc();
  const long at = guest.map(fd, 0, total + 1);
  ASSERT_GT(at, 0);
  for (uint64_t i = 0; i < total; ++i) ASSERT_NE(guest.epc_page(hw::LAddr(at) + i * kPage), 0u);
  EXPECT_EQ(f.sgx().nr_free_pages(), 0u);
  {
    // -ENOMEM from sgx_alloc_epc_page: the access the guest made takes SIGBUS.
    kernel::CpuHold cpu;
    uint64_t v = 0;
    EXPECT_EQ(kernel::user_load(hw::LAddr(at) + total * kPage, &v, sizeof v),
              kernel::FaultResult::kSigbus);
  }
  release(fd, hw::LAddr(at), total + 1);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcFaultWithTheEpcExhaustedButPagesOnTheLruIsRetriedAfterKsgxd) {
  EnclaveSpec encl;
  encl.reg_pages = 8;
  const int encl_fd = f.build_enclave(encl);
  const uint64_t free = f.sgx().nr_free_pages();
  const int fd = guest.open_vepc();
  const long at = guest.map(fd, 0, free + 1);
  ASSERT_GT(at, 0);
  for (uint64_t i = 0; i < free; ++i) ASSERT_NE(guest.epc_page(hw::LAddr(at) + i * kPage), 0u);
  ASSERT_EQ(f.sgx().nr_free_pages(), 0u);

  const hw::LAddr last = hw::LAddr(at) + free * kPage;
  const uint64_t wakeups = f.sgx().ksgxd_wakeups();
  {
    // -EBUSY: no page, no signal; the fault is taken again (Linux's VM_FAULT_RETRY).
    kernel::CpuHold cpu;
    EXPECT_EQ(f.process().mm().handle_mm_fault(last, true, false), kernel::FaultResult::kHandled);
  }
  EXPECT_FALSE(f.process().mm().page_table().get(last).present);
  EXPECT_GT(f.sgx().ksgxd_wakeups(), wakeups);
  EXPECT_GT(f.sgx().ksgxd_step(), 0);
  EXPECT_NE(guest.epc_page(last), 0u);

  release(fd, hw::LAddr(at), free + 1);
  ASSERT_EQ(f.process().munmap(encl.base, DriverFixture::size_of(encl)), 0);
  ASSERT_EQ(f.process().close(encl_fd), 0);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcPagesAreNeverReclaimedWhileKsgxdEmptiesAnEnclavesLru) {
  const EnclaveSpec spec = guest_spec();
  const OneInstance g = map_one_instance();
  ASSERT_TRUE(guest.build(spec, g.secs_va).succeeded());
  std::vector<hw::PAddr> before;
  for (uint64_t i = 0; i < 4; ++i) before.push_back(guest.epc_page(kGuestBase + i * kPage));

  // An enclave filling the rest of the EPC: below the high watermark, its pages on the LRU.
  EnclaveSpec encl;
  encl.reg_pages = f.sgx().total_pages() - 4 - 4;  // less the guest's, SECS, VA, TCS and one
  const int encl_fd = f.build_enclave(encl);
  ASSERT_LT(f.sgx().nr_free_pages(), f.sgx().high_watermark());
  EXPECT_GT(f.sgx().ksgxd_step(), 0);
  for (int batches = 0; f.sgx().lru_pages() > 0 && batches < 100; ++batches) {
    kernel::CpuHold cpu;
    f.sgx().reclaim_pages();
  }
  ASSERT_EQ(f.sgx().lru_pages(), 0u);
  // All that stays resident: the guest's four pages and the enclave's VA page.
  EXPECT_EQ(f.sgx().nr_free_pages(), f.sgx().total_pages() - 4 - 1);
  for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(guest.epc_page(kGuestBase + i * kPage), before[i]);
  {
    // The guest's enclave is intact: a CPU enters it through its TCS.
    kernel::CpuHold cpu;
    ASSERT_TRUE(guest.eenter(spec).succeeded());
    ASSERT_TRUE(guest.eexit().succeeded());
  }

  ASSERT_EQ(f.process().munmap(encl.base, DriverFixture::size_of(encl)), 0);
  ASSERT_EQ(f.process().close(encl_fd), 0);
  release(g.fd, kGuestBase, 4);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcIoctlRemoveAllWithANonZeroArgumentIsEinval) {
  const int fd = guest.open_vepc();
  EXPECT_EQ(remove_all(fd, 1), -EINVAL);
  ASSERT_EQ(f.process().close(fd), 0);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcIoctlOtherThanRemoveAllIsEnotty) {
  const int fd = guest.open_vepc();
  for (unsigned int cmd : {uapi::ioctl::kEnclaveCreate, uapi::ioctl::kEnclaveInit,
                           uapi::ioctl::kEnclaveRemovePages, 0x0000A405u}) {
    EXPECT_EQ(f.process().ioctl(fd, cmd, 0), -ENOTTY) << std::hex << cmd;
  }
  ASSERT_EQ(f.process().close(fd), 0);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcRemoveAllOfPagesTheGuestLeftEmptyIsZeroAndKeepsThem) {
  const int fd = guest.open_vepc();
  const long at = guest.map(fd, 0, 3);
  std::vector<hw::PAddr> pages;
  for (uint64_t i = 0; i < 3; ++i) pages.push_back(guest.epc_page(hw::LAddr(at) + i * kPage));
  EXPECT_EQ(remove_all(fd), 0);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_at_start - 3);
  for (uint64_t i = 0; i < 3; ++i) EXPECT_EQ(guest.epc_page(hw::LAddr(at) + i * kPage), pages[i]);
  release(fd, hw::LAddr(at), 3);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcRemoveAllCountsTheSecsPagesThatStillHadChildren) {
  // The SECS at index 0, before its children in the walk.
  const EnclaveSpec spec = guest_spec();
  const int fd = guest.open_vepc();
  ASSERT_EQ(guest.map(fd, kGuestBase - kPage, 5), long(kGuestBase - kPage));
  const hw::LAddr secs_va = kGuestBase - kPage;
  ASSERT_TRUE(guest.build(spec, secs_va).succeeded());
  const uint64_t free = f.sgx().nr_free_pages();

  EXPECT_EQ(remove_all(fd), 1);  // SGX_CHILD_PRESENT on the SECS; the children went
  EXPECT_EQ(remove_all(fd), 0);  // user space's retry
  EXPECT_EQ(f.sgx().nr_free_pages(), free);
  // Every page was EREMOVEd yet kept: the guest builds the same enclave there again.
  ASSERT_TRUE(guest.build(spec, secs_va).succeeded());

  release(fd, kGuestBase - kPage, 5);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcRemoveAllWhileACpuRunsTheEnclaveIsEbusyWithoutWarn) {
  const EnclaveSpec spec = guest_spec();
  const OneInstance g = map_one_instance();
  ASSERT_TRUE(guest.build(spec, g.secs_va).succeeded());

  kernel::Task vcpu(f.process(), "vcpu");
  {
    kernel::TaskScope as_vcpu(vcpu);
    kernel::CpuHold cpu;
    ASSERT_TRUE(guest.eenter(spec).succeeded());
    {
      // The VMM's thread, on another CPU: EREMOVE answers SGX_ENCLAVE_ACT.
      kernel::TaskScope as_vmm(f.task());
      EXPECT_EQ(remove_all(g.fd), -EBUSY);
    }
    ASSERT_TRUE(guest.eexit().succeeded());
  }
  EXPECT_EQ(f.sgx().warnings(), 0u);
  EXPECT_EQ(remove_all(g.fd), 0);  // the SECS comes after its children

  release(g.fd, kGuestBase, 4);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcRemoveAllRacingAnotherLeafOnThePageIsEbusyWithoutWarn) {
  const EnclaveSpec spec = guest_spec();
  const OneInstance g = map_one_instance();
  ASSERT_TRUE(guest.ecreate(spec, g.secs_va).succeeded());

  kernel::Task vcpu(f.process(), "vcpu");
  // The guest's EEXTEND of its TCS holds the page when REMOVE_ALL's EREMOVE wants it:
  // #GP.
  const bool built = overlap(
      "eextend.measuring",
      [&] {
        kernel::TaskScope as_vcpu(vcpu);
        return guest.add_pages(spec, g.secs_va).succeeded();
      },
      [&] { EXPECT_EQ(remove_all(g.fd), -EBUSY); });
  EXPECT_TRUE(built);
  EXPECT_EQ(f.sgx().warnings(), 0u);
  EXPECT_EQ(remove_all(g.fd), 0);

  release(g.fd, kGuestBase, 4);
  expect_every_page_back();
}

TEST_F(Vepc, SgxVepcReleaseRemovesTheChildrenThenTheirSecsInItsSecondPass) {
  const EnclaveSpec spec = guest_spec();
  const int fd = guest.open_vepc();
  ASSERT_EQ(guest.map(fd, kGuestBase - kPage, 5), long(kGuestBase - kPage));
  ASSERT_TRUE(guest.build(spec, kGuestBase - kPage).succeeded());
  release(fd, kGuestBase - kPage, 5);
  expect_every_page_back();
}

// The SECS in instance A, its children in instance B.
class VepcSecsElsewhere : public Vepc {
 protected:
  void SetUp() override {
    a = guest.open_vepc();
    a_at = guest.map(a, 0, 1);
    ASSERT_GT(a_at, 0);
    b = guest.open_vepc();
    ASSERT_EQ(guest.map(b, kGuestBase, 4), long(kGuestBase));
    ASSERT_TRUE(guest.build(guest_spec(), hw::LAddr(a_at)).succeeded());
    ASSERT_EQ(f.sgx().nr_free_pages(), free_at_start - 4);
  }

  int a = -1;
  long a_at = 0;
  int b = -1;
};

TEST_F(VepcSecsElsewhere, SgxVepcReleaseLeavesTheSecsOnTheZombieListUntilItsChildrenGo) {
  release(a, hw::LAddr(a_at), 1);
  EXPECT_EQ(guest.device().nr_zombie_secs_pages(), 1u);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_at_start - 4);
  EXPECT_EQ(f.sgx().warnings(), 0u);

  release(b, kGuestBase, 4);
  expect_every_page_back();
}

TEST_F(VepcSecsElsewhere, SgxVepcReleaseOfAnInstanceWithoutPagesRetriesTheZombies) {
  release(a, hw::LAddr(a_at), 1);
  ASSERT_EQ(guest.device().nr_zombie_secs_pages(), 1u);
  // The guest removed the children itself: the next release, of any instance, frees
  // the zombie.
  EXPECT_EQ(remove_all(b), 0);
  const int c = guest.open_vepc();
  ASSERT_EQ(f.process().close(c), 0);
  EXPECT_EQ(guest.device().nr_zombie_secs_pages(), 0u);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_at_start - 3);

  release(b, kGuestBase, 4);
  expect_every_page_back();
}

TEST_F(VepcSecsElsewhere, SgxVepcReleaseOfTheChildrenFirstLeavesNoZombie) {
  release(b, kGuestBase, 4);
  EXPECT_EQ(guest.device().nr_zombie_secs_pages(), 0u);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_at_start - 1);
  release(a, hw::LAddr(a_at), 1);
  expect_every_page_back();
}

// Teardown with the vEPC still mapped: the mapping holds the instance's file, so the
// descriptor's close frees nothing and the guest's enclave still runs; the pages go with
// the mapping.
TEST_F(Vepc, SgxVepcClosedWhileMappedKeepsTheGuestsEnclaveUntilTheMappingGoes) {
  const EnclaveSpec spec = guest_spec();
  const OneInstance one = map_one_instance();
  ASSERT_TRUE(guest.build(spec, one.secs_va).succeeded());
  const uint64_t in_use = f.sgx().nr_free_pages();
  ASSERT_EQ(f.process().close(one.fd), 0);
  EXPECT_EQ(f.sgx().nr_free_pages(), in_use);
  {
    kernel::CpuHold cpu;
    EXPECT_TRUE(guest.eenter(spec).succeeded()) << "the guest's enclave outlives the descriptor";
    EXPECT_TRUE(guest.eexit().succeeded());
  }
  ASSERT_EQ(f.process().munmap(kGuestBase, 4 * kPage), 0);
  expect_every_page_back();
}

// The process exits with both instances still open and mapped, the SECS in one and its
// children in the other, beside an enclave of its own: whichever instance goes first,
// every EPC page is freed once (the zombie SECS by the second release).
TEST_F(VepcSecsElsewhere, SgxVepcTheProcessExitingWithBothInstancesMappedFreesEveryPage) {
  EnclaveSpec host;
  host.base = 0x4000'0000;
  f.build_enclave(host);
  f.process().exit();
  expect_every_page_back();
}

TEST_F(VepcSecsElsewhere, SgxVepcRemoveAllCountsASecsWhoseChildrenLiveInAnotherInstance) {
  EXPECT_EQ(remove_all(a), 1);
  EXPECT_EQ(remove_all(b), 0);
  EXPECT_EQ(remove_all(a), 0);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_at_start - 4);
  release(a, hw::LAddr(a_at), 1);
  release(b, kGuestBase, 4);
  expect_every_page_back();
}

}  // namespace
}  // namespace sgxref::testlib
