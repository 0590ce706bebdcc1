// SGX_IOC_ENCLAVE_PROVISION: the success path and every errno of
// sgx_ioc_enclave_provision (Linux arch/x86/kernel/cpu/sgx/ioctl.c, sgx_set_attribute in
// main.c): an open /dev/sgx_provision lets the enclave have PROVISIONKEY; anything else
// is -EINVAL and leaves the mask alone.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "driver/encl.h"
#include "driver_fixture.h"
#include "kernel/errno.h"

namespace sgxref::testlib {
namespace {

constexpr uint64_t kUnprivMask = uapi::attr::kDebug | uapi::attr::kMode64Bit |
                                 uapi::attr::kKss | uapi::attr::kAexNotify;

long provision(DriverFixture& f, int fd, uint64_t prov_fd) {
  uapi::EnclaveProvision arg{prov_fd};
  return f.ioctl(fd, uapi::ioctl::kEnclaveProvision, arg);
}

// A PROVISIONKEY enclave, created and with every page added.
int built_provision_enclave(DriverFixture& f, EnclaveSpec& spec) {
  spec.attributes = uapi::attr::kMode64Bit | uapi::attr::kDebug | uapi::attr::kProvisionKey;
  const int fd = f.open_enclave();
  EXPECT_EQ(f.create(fd, spec), 0);
  EXPECT_EQ(f.add_tcs(fd), 0);
  EXPECT_EQ(f.add_reg(fd, spec, 0, spec.reg_pages), 0);
  return fd;
}

TEST(DriverProvision, AProvisionFileLetsAProvisionKeyEnclaveInitialize) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = built_provision_enclave(f, spec);
  EXPECT_EQ(f.encl_of(fd).attributes_mask, kUnprivMask);
  const int prov = f.process().open("sgx_provision");
  ASSERT_GE(prov, 0);
  const uint64_t free_before = f.sgx().nr_free_pages();
  EXPECT_EQ(provision(f, fd, uint64_t(prov)), 0);
  EXPECT_EQ(f.encl_of(fd).attributes_mask, kUnprivMask | uapi::attr::kProvisionKey);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before);
  // The provision file may go: the right was taken when the ioctl ran.
  EXPECT_EQ(f.process().close(prov), 0);
  const uapi::SigStruct sig = f.sigstruct_for(spec);
  ASSERT_EQ(f.init(fd, sig), 0);
  const std::array<uint8_t, 32> mr = f.mrenclave_of(fd);
  EXPECT_EQ(0, std::memcmp(mr.data(), sig.body.mrenclave, 32));
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverProvision, ProvisionHasNoStateCheckAndIsIdempotent) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const int prov = f.process().open("sgx_provision");
  EXPECT_EQ(provision(f, fd, uint64_t(prov)), 0) << "after INIT too";
  EXPECT_EQ(provision(f, fd, uint64_t(prov)), 0);
  EXPECT_EQ(f.encl_of(fd).attributes_mask, kUnprivMask | uapi::attr::kProvisionKey);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverProvision, ProvisionBeforeCreateIsAcceptedButCreateResetsTheMask) {
  DriverFixture f;
  EnclaveSpec spec;
  spec.attributes = uapi::attr::kMode64Bit | uapi::attr::kDebug | uapi::attr::kProvisionKey;
  const int fd = f.open_enclave();
  const int prov = f.process().open("sgx_provision");
  EXPECT_EQ(provision(f, fd, uint64_t(prov)), 0);
  // sgx_encl_create sets attributes_mask = SGX_ATTR_UNPRIV_MASK.
  ASSERT_EQ(f.create(fd, spec), 0);
  EXPECT_EQ(f.encl_of(fd).attributes_mask, kUnprivMask);
  ASSERT_EQ(f.add_tcs(fd), 0);
  ASSERT_EQ(f.add_reg(fd, spec, 0, spec.reg_pages), 0);
  EXPECT_EQ(f.init(fd, spec), -EACCES);
  EXPECT_EQ(provision(f, fd, uint64_t(prov)), 0);
  EXPECT_EQ(f.init(fd, spec), 0);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverProvision, AnArgumentPointerNothingMapsIsEfault) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = built_provision_enclave(f, spec);
  EXPECT_EQ(f.process().ioctl(fd, uapi::ioctl::kEnclaveProvision, 0), -EFAULT);
  EXPECT_EQ(f.process().ioctl(fd, uapi::ioctl::kEnclaveProvision, 0x7000'0000'0000), -EFAULT);
  EXPECT_EQ(f.encl_of(fd).attributes_mask, kUnprivMask);
  EXPECT_EQ(f.init(fd, spec), -EACCES);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverProvision, ADescriptorThatIsNotOpenIsEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = built_provision_enclave(f, spec);
  const int prov = f.process().open("sgx_provision");
  ASSERT_EQ(f.process().close(prov), 0);
  for (const uint64_t bad : {uint64_t(prov), uint64_t(1000), uint64_t(0x7FFFFFFF),
                             uint64_t(0x80000000), ~uint64_t(0)}) {
    EXPECT_EQ(provision(f, fd, bad), -EINVAL) << bad;
  }
  EXPECT_EQ(f.encl_of(fd).attributes_mask, kUnprivMask);
  EXPECT_EQ(f.init(fd, spec), -EACCES);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverProvision, TheHigh32BitsOfTheDescriptorAreIgnored) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = built_provision_enclave(f, spec);
  const int prov = f.process().open("sgx_provision");
  // fget(params.fd) takes an unsigned int.
  EXPECT_EQ(provision(f, fd, (uint64_t(1) << 32) | uint64_t(prov)), 0);
  EXPECT_EQ(f.init(fd, spec), 0);
}

TEST(DriverProvision, AnEnclaveFileIsNotAProvisionFileEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = built_provision_enclave(f, spec);
  const int other = f.open_enclave();
  EXPECT_EQ(provision(f, fd, uint64_t(other)), -EINVAL);
  EXPECT_EQ(provision(f, fd, uint64_t(fd)), -EINVAL) << "its own file";
  EXPECT_EQ(f.encl_of(fd).attributes_mask, kUnprivMask);
  EXPECT_EQ(f.init(fd, spec), -EACCES);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

}  // namespace
}  // namespace sgxref::testlib
