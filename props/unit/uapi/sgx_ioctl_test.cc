// The uapi numbers decode to the direction, argument size, type and command Linux's
// asm/sgx.h gives them, and the structs user space passes have Linux's layout.
#include "uapi/sgx_ioctl.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <type_traits>

#include "uapi/enclave_run.h"
#include "uapi/page_type.h"

namespace sgxref::uapi {
namespace {

struct Decoded {
  uint32_t dir;
  uint32_t size;
  uint32_t type;
  uint32_t nr;

  bool operator==(const Decoded&) const = default;
};

Decoded decode(uint32_t cmd) {
  return {ioc::dir(cmd), ioc::size(cmd), ioc::type(cmd), ioc::nr(cmd)};
}

std::ostream& operator<<(std::ostream& os, const Decoded& d) {
  return os << "{dir " << d.dir << ", size " << d.size << ", type 0x" << std::hex << d.type
            << std::dec << ", nr " << d.nr << "}";
}

// Linux's _IOC_WRITE and _IOC_READ on x86: _IOW is 1, _IOWR is 3, _IO is 0.
constexpr uint32_t kIow = 1;
constexpr uint32_t kIowr = 3;
constexpr uint32_t kIo = 0;

TEST(SgxIoctl, EnclaveCreateIsIowOfEightBytes) {
  EXPECT_EQ(decode(ioctl::kEnclaveCreate), (Decoded{kIow, 8, 0xA4, 0x00}));
}

TEST(SgxIoctl, EnclaveAddPagesIsIowrOfFortyEightBytes) {
  EXPECT_EQ(decode(ioctl::kEnclaveAddPages), (Decoded{kIowr, 48, 0xA4, 0x01}));
}

TEST(SgxIoctl, EnclaveInitIsIowOfEightBytes) {
  EXPECT_EQ(decode(ioctl::kEnclaveInit), (Decoded{kIow, 8, 0xA4, 0x02}));
}

TEST(SgxIoctl, EnclaveProvisionIsIowOfEightBytes) {
  EXPECT_EQ(decode(ioctl::kEnclaveProvision), (Decoded{kIow, 8, 0xA4, 0x03}));
}

TEST(SgxIoctl, VepcRemoveAllIsIoWithoutArgument) {
  EXPECT_EQ(decode(ioctl::kVepcRemoveAll), (Decoded{kIo, 0, 0xA4, 0x04}));
}

TEST(SgxIoctl, EnclaveRestrictPermissionsIsIowrOfFortyBytes) {
  EXPECT_EQ(decode(ioctl::kEnclaveRestrictPermissions), (Decoded{kIowr, 40, 0xA4, 0x05}));
}

TEST(SgxIoctl, EnclaveModifyTypesIsIowrOfFortyBytes) {
  EXPECT_EQ(decode(ioctl::kEnclaveModifyTypes), (Decoded{kIowr, 40, 0xA4, 0x06}));
}

TEST(SgxIoctl, EnclaveRemovePagesIsIowrOfTwentyFourBytes) {
  EXPECT_EQ(decode(ioctl::kEnclaveRemovePages), (Decoded{kIowr, 24, 0xA4, 0x07}));
}

TEST(SgxIoctl, NumbersAreLinuxs) {
  EXPECT_EQ(ioctl::kEnclaveCreate, 0x4008A400u);
  EXPECT_EQ(ioctl::kEnclaveAddPages, 0xC030A401u);
  EXPECT_EQ(ioctl::kEnclaveInit, 0x4008A402u);
  EXPECT_EQ(ioctl::kEnclaveProvision, 0x4008A403u);
  EXPECT_EQ(ioctl::kVepcRemoveAll, 0x0000A404u);
  EXPECT_EQ(ioctl::kEnclaveRestrictPermissions, 0xC028A405u);
  EXPECT_EQ(ioctl::kEnclaveModifyTypes, 0xC028A406u);
  EXPECT_EQ(ioctl::kEnclaveRemovePages, 0xC018A407u);
}

TEST(SgxIoctl, PageMeasureFlagIsOne) { EXPECT_EQ(kPageMeasure, 1u); }

// The page types ADD_PAGES (in its SECINFO) and MODIFY_TYPES take are Linux's
// enum sgx_page_type values.
TEST(SgxIoctl, PageTypesAreLinuxs) {
  EXPECT_EQ(uint64_t(PageType::kSecs), 0u);
  EXPECT_EQ(uint64_t(PageType::kTcs), 1u);
  EXPECT_EQ(uint64_t(PageType::kReg), 2u);
  EXPECT_EQ(uint64_t(PageType::kVa), 3u);
  EXPECT_EQ(uint64_t(PageType::kTrim), 4u);
}

static_assert(
    std::is_same_v<EnclaveUserHandler, int (*)(long, long, long, long, long, long, EnclaveRun*)>);

TEST(EnclaveRun, FunctionHoldsEncluLeafNumbers) {
  EXPECT_EQ(enclu::kEenter, 2u);
  EXPECT_EQ(enclu::kEresume, 3u);
  EXPECT_EQ(enclu::kEexit, 4u);
}

}  // namespace
}  // namespace sgxref::uapi
