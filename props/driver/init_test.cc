// SGX_IOC_ENCLAVE_INIT: the success path and every errno of sgx_ioc_enclave_init and
// sgx_encl_init (Linux arch/x86/kernel/cpu/sgx/ioctl.c). A refused INIT leaves the
// enclave uninitialized, the EPC as it was and no WARN; the same enclave then
// initializes with the right SIGSTRUCT, with its SECS's MRENCLAVE, and maps.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "driver/encl.h"
#include "driver_fixture.h"
#include "kernel/errno.h"
#include "kernel/fault_inject.h"
#include "kernel/vm_flags.h"
#include "sign/sigstruct.h"
#include "testlib/test_signing_key.h"

namespace sgxref::testlib {
namespace {

using kernel::FailPoint;
constexpr uint64_t kPage = hw::kPageSize;

// An enclave with every page added, waiting for INIT.
struct Built {
  DriverFixture f;
  EnclaveSpec spec;
  int fd = -1;
  uint64_t free_after_build = 0;
  explicit Built(uint64_t attributes = uapi::attr::kMode64Bit | uapi::attr::kDebug) {
    spec.attributes = attributes;
    fd = f.open_enclave();
    EXPECT_EQ(f.create(fd, spec), 0);
    EXPECT_EQ(f.add_tcs(fd), 0);
    EXPECT_EQ(f.add_reg(fd, spec, 0, spec.reg_pages), 0);
    free_after_build = f.sgx().nr_free_pages();
  }
  long init_at(hw::LAddr sigstruct) {
    uapi::EnclaveInit arg{sigstruct};
    return f.ioctl(fd, uapi::ioctl::kEnclaveInit, arg);
  }
  bool initialized() { return f.encl_of(fd).test_flag(driver::SGX_ENCL_INITIALIZED); }
};

// The refused INIT changed nothing; the right SIGSTRUCT then initializes the enclave.
void expect_unchanged_then_initializes(Built& b) {
  EXPECT_FALSE(b.initialized());
  EXPECT_FALSE(b.f.encl_of(b.fd).test_flag(driver::SGX_ENCL_IOCTL));
  EXPECT_EQ(b.f.sgx().nr_free_pages(), b.free_after_build);
  EXPECT_EQ(b.f.sgx().warnings(), 0u);
  const uapi::SigStruct sig = b.f.sigstruct_for(b.spec);
  ASSERT_EQ(b.f.init(b.fd, sig), 0);
  EXPECT_TRUE(b.initialized());
  const std::array<uint8_t, 32> mr = b.f.mrenclave_of(b.fd);
  EXPECT_EQ(0, std::memcmp(mr.data(), sig.body.mrenclave, 32));
  EXPECT_EQ(b.f.map(b.fd, b.spec, kernel::PROT_READ | kernel::PROT_WRITE), long(b.spec.base));
  if (b.spec.attributes & uapi::attr::kDebug) {
    std::vector<uint8_t> got(kPage);
    EXPECT_EQ(b.f.peek(b.spec.base + kPage, got.data(), int(kPage)), int(kPage));
    EXPECT_EQ(got, DriverFixture::page_bytes(b.spec, 0));
  }
  EXPECT_EQ(b.f.sgx().warnings(), 0u);
}

TEST(DriverInit, InitializesTheEnclaveWithTheSignedMeasurement) {
  Built b;
  const uapi::SigStruct sig = b.f.sigstruct_for(b.spec);
  ASSERT_EQ(b.f.init(b.fd, sig), 0);
  EXPECT_TRUE(b.initialized());
  EXPECT_FALSE(b.f.encl_of(b.fd).test_flag(driver::SGX_ENCL_IOCTL));
  const std::array<uint8_t, 32> mr = b.f.mrenclave_of(b.fd);
  EXPECT_EQ(0, std::memcmp(mr.data(), sig.body.mrenclave, 32));
  EXPECT_EQ(b.f.sgx().nr_free_pages(), b.free_after_build) << "INIT allocates no EPC";
  EXPECT_EQ(b.f.sgx().warnings(), 0u);
}

TEST(DriverInit, AnIntelVendorValueIsAccepted) {
  Built b;
  const uapi::SigStruct sig =
      b.f.sigstruct_with(b.spec, [](sign::SigStructParams& p) { p.vendor = 0x8086; });
  ASSERT_EQ(sig.header.vendor, 0x8086u);
  EXPECT_EQ(b.f.init(b.fd, sig), 0);
  EXPECT_TRUE(b.initialized());
}

TEST(DriverInit, BeforeCreateIsEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  const uint64_t free_before = f.sgx().nr_free_pages();
  EXPECT_EQ(f.init(fd, spec), -EINVAL);
  EXPECT_FALSE(f.encl_of(fd).test_flag(driver::SGX_ENCL_INITIALIZED));
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before);
  // The file still builds.
  ASSERT_EQ(f.create(fd, spec), 0);
  f.finish_build(fd, spec);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverInit, ASecondInitIsEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const uint64_t free_before = f.sgx().nr_free_pages();
  EXPECT_EQ(f.init(fd, spec), -EINVAL);
  EXPECT_TRUE(f.encl_of(fd).test_flag(driver::SGX_ENCL_INITIALIZED));
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverInit, AnArgumentPointerNothingMapsIsEfault) {
  Built b;
  EXPECT_EQ(b.f.process().ioctl(b.fd, uapi::ioctl::kEnclaveInit, 0), -EFAULT);
  EXPECT_EQ(b.f.process().ioctl(b.fd, uapi::ioctl::kEnclaveInit, 0x7000'0000'0000), -EFAULT);
  expect_unchanged_then_initializes(b);
}

TEST(DriverInit, ASigstructPointerNothingMapsIsEfault) {
  Built b;
  EXPECT_EQ(b.init_at(0x7000'0000'0000), -EFAULT);
  EXPECT_EQ(b.init_at(0), -EFAULT);
  // A SIGSTRUCT running off the end of its mapping.
  const hw::LAddr page = b.f.user_alloc(2 * kPage);
  const uapi::SigStruct sig = b.f.sigstruct_for(b.spec);
  b.f.user_write(page + kPage - 1024, &sig, 1024);
  const hw::LAddr arg = b.f.user_copy(uapi::EnclaveInit{page + kPage - 1024});
  ASSERT_EQ(b.f.process().munmap(page + kPage, kPage), 0);
  EXPECT_EQ(b.f.process().ioctl(b.fd, uapi::ioctl::kEnclaveInit, arg), -EFAULT);
  expect_unchanged_then_initializes(b);
}

TEST(DriverInit, AVendorOtherThanZeroOrIntelIsEinval) {
  Built b;
  for (const uint32_t vendor : {0x1u, 0x8087u, 0x80860000u, 0xFFFFFFFFu}) {
    uapi::SigStruct sig = b.f.sigstruct_for(b.spec);
    sig.header.vendor = vendor;
    EXPECT_EQ(b.f.init(b.fd, sig), -EINVAL) << "vendor " << vendor;
    EXPECT_FALSE(b.initialized());
  }
  expect_unchanged_then_initializes(b);
}

TEST(DriverInit, AProvisionKeyEnclaveWithoutProvisionIsEacces) {
  Built b(uapi::attr::kMode64Bit | uapi::attr::kDebug | uapi::attr::kProvisionKey);
  EXPECT_EQ(b.f.init(b.fd, b.spec), -EACCES);
  EXPECT_FALSE(b.initialized());
  EXPECT_EQ(b.f.sgx().nr_free_pages(), b.free_after_build);
  EXPECT_EQ(b.f.sgx().warnings(), 0u);
  // With /dev/sgx_provision handed over, the same enclave initializes.
  const int prov = b.f.process().open("sgx_provision");
  ASSERT_GE(prov, 0);
  uapi::EnclaveProvision arg{uint64_t(prov)};
  ASSERT_EQ(b.f.ioctl(b.fd, uapi::ioctl::kEnclaveProvision, arg), 0);
  expect_unchanged_then_initializes(b);
}

TEST(DriverInit, AnEinitTokenKeyEnclaveIsAlwaysEacces) {
  Built b(uapi::attr::kMode64Bit | uapi::attr::kDebug | uapi::attr::kEinitTokenKey);
  EXPECT_EQ(b.f.init(b.fd, b.spec), -EACCES);
  const int prov = b.f.process().open("sgx_provision");
  uapi::EnclaveProvision arg{uint64_t(prov)};
  ASSERT_EQ(b.f.ioctl(b.fd, uapi::ioctl::kEnclaveProvision, arg), 0);
  EXPECT_EQ(b.f.init(b.fd, b.spec), -EACCES) << "PROVISION allows PROVISIONKEY only";
  EXPECT_FALSE(b.initialized());
  EXPECT_EQ(b.f.sgx().nr_free_pages(), b.free_after_build);
  EXPECT_EQ(b.f.sgx().warnings(), 0u);
}

TEST(DriverInit, ReservedBitsTheSigstructRequiresAreEinval) {
  Built b;
  struct Case {
    const char* what;
    void (*edit)(uapi::SigStruct&);
  };
  const Case cases[] = {
      {"attribute bit 3", [](uapi::SigStruct& s) { s.body.attributes |= 1ull << 3; }},
      {"attribute bit 6 (CET)", [](uapi::SigStruct& s) { s.body.attributes |= 1ull << 6; }},
      {"attribute bit 9", [](uapi::SigStruct& s) { s.body.attributes |= 1ull << 9; }},
      {"attribute bit 63", [](uapi::SigStruct& s) { s.body.attributes |= 1ull << 63; }},
      {"miscselect bit 1", [](uapi::SigStruct& s) { s.body.miscselect |= 1u << 1; }},
      {"miscselect bit 31", [](uapi::SigStruct& s) { s.body.miscselect |= 1u << 31; }},
      {"xfrm bit 3", [](uapi::SigStruct& s) { s.body.xfrm |= 1ull << 3; }},
      {"xfrm bit 63", [](uapi::SigStruct& s) { s.body.xfrm |= 1ull << 63; }},
  };
  for (const Case& k : cases) {
    uapi::SigStruct sig = b.f.sigstruct_for(b.spec);
    k.edit(sig);
    // Re-signed, so only the reserved-bit check can refuse it.
    sign::sign_sigstruct(test_signing_key(), sig);
    EXPECT_EQ(b.f.init(b.fd, sig), -EINVAL) << k.what;
    EXPECT_FALSE(b.initialized()) << k.what;
  }
  expect_unchanged_then_initializes(b);
}

TEST(DriverInit, AReservedBitOutsideItsMaskIsNotChecked) {
  Built b;
  const uapi::SigStruct sig = b.f.sigstruct_with(b.spec, [](sign::SigStructParams& p) {
    p.attributes |= 1ull << 3;
    p.attributes_mask &= ~(1ull << 3);
    p.miscselect |= 1u << 1;
    p.misc_mask &= ~(1u << 1);
    p.xfrm |= 1ull << 63;
    p.xfrm_mask &= ~(1ull << 63);
  });
  EXPECT_EQ(b.f.init(b.fd, sig), 0);
  EXPECT_TRUE(b.initialized());
  EXPECT_EQ(b.f.sgx().warnings(), 0u);
}

TEST(DriverInit, AnotherEnclavesMeasurementIsEperm) {
  Built b;
  EnclaveSpec other = b.spec;
  other.seed = 2;
  EXPECT_EQ(b.f.init(b.fd, b.f.sigstruct_for(other)), -EPERM) << "EINIT: INVALID_MEASUREMENT";
  expect_unchanged_then_initializes(b);
}

TEST(DriverInit, ABadSignatureIsEperm) {
  Built b;
  uapi::SigStruct sig = b.f.sigstruct_for(b.spec);
  sig.signature[17] ^= 0x40;
  EXPECT_EQ(b.f.init(b.fd, sig), -EPERM) << "EINIT: INVALID_SIGNATURE";
  // The body changed after signing.
  sig = b.f.sigstruct_for(b.spec);
  sig.body.isv_svn ^= 1;
  EXPECT_EQ(b.f.init(b.fd, sig), -EPERM);
  expect_unchanged_then_initializes(b);
}

TEST(DriverInit, AttributesTheSecsLacksButTheSigstructRequiresAreEperm) {
  Built b;
  const uapi::SigStruct sig = b.f.sigstruct_with(
      b.spec, [](sign::SigStructParams& p) { p.attributes &= ~uapi::attr::kDebug; });
  EXPECT_EQ(b.f.init(b.fd, sig), -EPERM) << "EINIT: INVALID_ATTRIBUTE";
  expect_unchanged_then_initializes(b);
}

TEST(DriverInit, AKmallocFailureIsEnomem) {
  Built b;
  const uapi::SigStruct sig = b.f.sigstruct_for(b.spec);
  uapi::EnclaveInit arg{b.f.user_copy(sig)};
  const hw::LAddr at = b.f.user_copy(arg);
  b.f.kernel().faults().enable(FailPoint::kKmalloc, 100, 1);
  EXPECT_EQ(b.f.process().ioctl(b.fd, uapi::ioctl::kEnclaveInit, at), -ENOMEM);
  b.f.kernel().faults().disable_all();
  expect_unchanged_then_initializes(b);
}

}  // namespace
}  // namespace sgxref::testlib
