// The ioctl dispatch (sgx_ioctl, Linux arch/x86/kernel/cpu/sgx/ioctl.c): one ioctl at a
// time per enclave (a second gets -EBUSY while SGX_ENCL_IOCTL is set, and leaves the
// flag to its owner), an unknown command is -ENOIOCTLCMD, which user space sees as
// -ENOTTY.
#include <gtest/gtest.h>

#include "driver/encl.h"
#include "driver_fixture.h"
#include "kernel/errno.h"

namespace sgxref::testlib {
namespace {

TEST(DriverDispatch, EveryIoctlIsEbusyWhileAnotherRunsOnTheSameEnclave) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  driver::Encl& encl = f.encl_of(fd);
  // An ioctl in progress on this enclave (another thread inside sgx_ioctl).
  ASSERT_FALSE(encl.test_and_set_flag(driver::SGX_ENCL_IOCTL));
  const uint64_t free_before = f.sgx().nr_free_pages();
  EXPECT_EQ(f.create(fd, spec), -EBUSY);
  EXPECT_TRUE(encl.test_flag(driver::SGX_ENCL_IOCTL)) << "the owner's flag stays set";
  EXPECT_FALSE(encl.test_flag(driver::SGX_ENCL_CREATED));
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before);
  // Even a command the driver does not know: the flag is taken before the switch.
  EXPECT_EQ(f.process().ioctl(fd, 0xA4FF, 0), -EBUSY);
  EXPECT_TRUE(encl.test_flag(driver::SGX_ENCL_IOCTL));
  encl.clear_flag(driver::SGX_ENCL_IOCTL);

  ASSERT_EQ(f.create(fd, spec), 0);
  ASSERT_EQ(f.add_tcs(fd), 0);
  ASSERT_FALSE(encl.test_and_set_flag(driver::SGX_ENCL_IOCTL));
  uint64_t count = 0xdead;
  EXPECT_EQ(f.add_reg(fd, spec, 0, spec.reg_pages, &count), -EBUSY);
  EXPECT_EQ(count, 0u) << "the argument is untouched";
  EXPECT_EQ(f.init(fd, spec), -EBUSY);
  const int prov = f.process().open("sgx_provision");
  uapi::EnclaveProvision parg{uint64_t(prov)};
  EXPECT_EQ(f.ioctl(fd, uapi::ioctl::kEnclaveProvision, parg), -EBUSY);
  EXPECT_EQ(encl.attributes_mask & uapi::attr::kProvisionKey, 0u);
  EXPECT_TRUE(encl.test_flag(driver::SGX_ENCL_IOCTL));
  EXPECT_FALSE(encl.test_flag(driver::SGX_ENCL_INITIALIZED));
  {
    sched::MutexLock l(encl.lock);
    EXPECT_EQ(encl.page_array.size(), 1u) << "only the TCS";
  }
  encl.clear_flag(driver::SGX_ENCL_IOCTL);

  // Once the other ioctl is done, the build goes on.
  f.finish_build(fd, spec, false);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverDispatch, TheFlagIsPerEnclave) {
  DriverFixture f;
  EnclaveSpec spec;
  const int busy = f.open_enclave();
  ASSERT_FALSE(f.encl_of(busy).test_and_set_flag(driver::SGX_ENCL_IOCTL));
  const int fd = f.open_enclave();
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
  f.encl_of(busy).clear_flag(driver::SGX_ENCL_IOCTL);
}

TEST(DriverDispatch, EachIoctlClearsTheFlagOnSuccessAndOnError) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  driver::Encl& encl = f.encl_of(fd);
  EXPECT_EQ(f.init(fd, spec), -EINVAL);
  EXPECT_FALSE(encl.test_flag(driver::SGX_ENCL_IOCTL));
  EXPECT_EQ(f.process().ioctl(fd, uapi::ioctl::kEnclaveCreate, 0), -EFAULT);
  EXPECT_FALSE(encl.test_flag(driver::SGX_ENCL_IOCTL));
  EXPECT_EQ(f.process().ioctl(fd, 0xA4FF, 0), -ENOTTY);
  EXPECT_FALSE(encl.test_flag(driver::SGX_ENCL_IOCTL));
  ASSERT_EQ(f.create(fd, spec), 0);
  EXPECT_FALSE(encl.test_flag(driver::SGX_ENCL_IOCTL));
  f.finish_build(fd, spec);
  EXPECT_FALSE(encl.test_flag(driver::SGX_ENCL_IOCTL));
}

TEST(DriverDispatch, AnUnknownCommandIsEnotty) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  const uint64_t free_before = f.sgx().nr_free_pages();
  const hw::LAddr arg = f.user_alloc(hw::kPageSize);
  for (const unsigned int cmd :
       {0u, 0xA4FFu, 0x4008A408u, 0x4008A500u, 0x4010A400u /* CREATE with another size */,
        0xC008A400u /* CREATE with another direction */, 0x0000A404u /* the vEPC's */}) {
    EXPECT_EQ(f.process().ioctl(fd, cmd, arg), -ENOTTY) << std::hex << cmd;
  }
  EXPECT_FALSE(f.encl_of(fd).test_flag(driver::SGX_ENCL_CREATED));
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before);
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverDispatch, Sgx2CommandsAreDispatchedAndAnswerEnodevWithoutSgx2) {
  // Linux's sgx_ioc_sgx2_ready: reaching the handlers on a CPU without SGX2 is -ENODEV
  // (kernels before 5.20 answered -ENOTTY). AUGMENT_PAGES is not Linux's and stays
  // -ENOTTY unless the alternative eaug.via=ioctl is on (alternatives_test.cc).
  DriverFixtureOptions o;
  o.sgx2 = false;
  DriverFixture f(o);
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const uint64_t free_before = f.sgx().nr_free_pages();
  uapi::EnclaveRestrictPermissions rp{hw::kPageSize, hw::kPageSize, 1, 0, 0};
  EXPECT_EQ(f.ioctl(fd, uapi::ioctl::kEnclaveRestrictPermissions, rp), -ENODEV);
  uapi::EnclaveModifyTypes mt{hw::kPageSize, hw::kPageSize, 4, 0, 0};
  EXPECT_EQ(f.ioctl(fd, uapi::ioctl::kEnclaveModifyTypes, mt), -ENODEV);
  uapi::EnclaveRemovePages rm{hw::kPageSize, hw::kPageSize, 0};
  EXPECT_EQ(f.ioctl(fd, uapi::ioctl::kEnclaveRemovePages, rm), -ENODEV);
  uapi::EnclaveAugmentPages ap{5 * hw::kPageSize, hw::kPageSize, 0};
  EXPECT_EQ(f.ioctl(fd, uapi::ioctl::kEnclaveAugmentPages, ap), -ENOTTY);
  EXPECT_FALSE(f.encl_of(fd).test_flag(driver::SGX_ENCL_IOCTL));
  EXPECT_EQ(rp.count, 0u);
  EXPECT_EQ(mt.count, 0u);
  EXPECT_EQ(rm.count, 0u);
  EXPECT_EQ(ap.count, 0u);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before);
  std::vector<uint8_t> got(hw::kPageSize);
  EXPECT_EQ(f.peek(spec.base + hw::kPageSize, got.data(), int(got.size())), int(got.size()));
  EXPECT_EQ(got, DriverFixture::page_bytes(spec, 0));
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverDispatch, ADescriptorThatIsNotOpenIsEbadf) {
  DriverFixture f;
  EXPECT_EQ(f.process().ioctl(99, uapi::ioctl::kEnclaveCreate, 0), -EBADF);
}

}  // namespace
}  // namespace sgxref::testlib
