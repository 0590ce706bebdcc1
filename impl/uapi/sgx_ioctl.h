// File: the ioctls of /dev/sgx_enclave and /dev/sgx_vepc and their argument structs,
// with the numbers Linux gives them (uapi asm/sgx.h). A number packs the direction,
// the argument's size, the SGX magic and the command as Linux's generic _IOC does.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sgxref::uapi {

// The generic ioctl number: bits 7:0 the command, 15:8 the type (a driver's magic),
// 29:16 the argument's size, 31:30 the direction, seen from user space.
namespace ioc {
inline constexpr uint32_t kNone = 0;
inline constexpr uint32_t kWrite = 1;  // user space passes the argument in
inline constexpr uint32_t kRead = 2;   // the kernel passes it back

constexpr uint32_t number(uint32_t dir, uint32_t type, uint32_t nr, size_t size) {
  return dir << 30 | uint32_t(size) << 16 | type << 8 | nr;
}
constexpr uint32_t dir(uint32_t cmd) { return cmd >> 30; }
constexpr uint32_t size(uint32_t cmd) { return (cmd >> 16) & 0x3FFF; }
constexpr uint32_t type(uint32_t cmd) { return (cmd >> 8) & 0xFF; }
constexpr uint32_t nr(uint32_t cmd) { return cmd & 0xFF; }
}  // namespace ioc

inline constexpr uint32_t kSgxMagic = 0xA4;

// Every address below is a user-space linear address; every offset is from the
// enclave's base (SECS.BASE); every length and count is in bytes, a multiple of 4096.

struct EnclaveCreate {
  uint64_t src;  // the SECS page, 4096 bytes
};
static_assert(sizeof(EnclaveCreate) == 8);
static_assert(offsetof(EnclaveCreate, src) == 0);

// EnclaveAddPages::flags: EEXTEND every page after its EADD.
inline constexpr uint64_t kPageMeasure = 0x01;

struct EnclaveAddPages {
  uint64_t src;  // the pages' contents
  uint64_t offset;
  uint64_t length;
  uint64_t secinfo;  // one SECINFO for every page; its type is PageType::kReg or kTcs
  uint64_t flags;    // kPageMeasure or 0
  uint64_t count;    // out: bytes added
};
static_assert(sizeof(EnclaveAddPages) == 48);
static_assert(offsetof(EnclaveAddPages, src) == 0);
static_assert(offsetof(EnclaveAddPages, offset) == 8);
static_assert(offsetof(EnclaveAddPages, length) == 16);
static_assert(offsetof(EnclaveAddPages, secinfo) == 24);
static_assert(offsetof(EnclaveAddPages, flags) == 32);
static_assert(offsetof(EnclaveAddPages, count) == 40);

struct EnclaveInit {
  uint64_t sigstruct;  // the SIGSTRUCT, 1808 bytes
};
static_assert(sizeof(EnclaveInit) == 8);
static_assert(offsetof(EnclaveInit, sigstruct) == 0);

struct EnclaveProvision {
  uint64_t fd;  // an open file of /dev/sgx_provision
};
static_assert(sizeof(EnclaveProvision) == 8);
static_assert(offsetof(EnclaveProvision, fd) == 0);

struct EnclaveRestrictPermissions {
  uint64_t offset;
  uint64_t length;
  uint64_t permissions;  // SECINFO R/W/X bits (secinfo_flag::kPermMask)
  uint64_t result;       // out: EMODPR's SGX code when it refused a page
  uint64_t count;        // out: bytes changed
};
static_assert(sizeof(EnclaveRestrictPermissions) == 40);
static_assert(offsetof(EnclaveRestrictPermissions, offset) == 0);
static_assert(offsetof(EnclaveRestrictPermissions, length) == 8);
static_assert(offsetof(EnclaveRestrictPermissions, permissions) == 16);
static_assert(offsetof(EnclaveRestrictPermissions, result) == 24);
static_assert(offsetof(EnclaveRestrictPermissions, count) == 32);

struct EnclaveModifyTypes {
  uint64_t offset;
  uint64_t length;
  uint64_t page_type;  // a PageType value: kTrim or kTcs
  uint64_t result;     // out: EMODT's SGX code when it refused a page
  uint64_t count;      // out: bytes changed
};
static_assert(sizeof(EnclaveModifyTypes) == 40);
static_assert(offsetof(EnclaveModifyTypes, offset) == 0);
static_assert(offsetof(EnclaveModifyTypes, length) == 8);
static_assert(offsetof(EnclaveModifyTypes, page_type) == 16);
static_assert(offsetof(EnclaveModifyTypes, result) == 24);
static_assert(offsetof(EnclaveModifyTypes, count) == 32);

struct EnclaveRemovePages {
  uint64_t offset;
  uint64_t length;
  uint64_t count;  // out: bytes removed
};
static_assert(sizeof(EnclaveRemovePages) == 24);
static_assert(offsetof(EnclaveRemovePages, offset) == 0);
static_assert(offsetof(EnclaveRemovePages, length) == 8);
static_assert(offsetof(EnclaveRemovePages, count) == 16);

// Not Linux: the AUGMENT_PAGES ioctl proposed in the SGX2 review threads as the way to
// EAUG instead of a page fault. The driver accepts it only with the design alternative
// eaug.via=ioctl (driver/alternatives.h); Linux never merged it, so its number sits
// far above Linux's 0x00-0x07 where a future Linux command will not land.
struct EnclaveAugmentPages {
  uint64_t offset;
  uint64_t length;
  uint64_t count;  // out: bytes augmented (each page PENDING until the enclave EACCEPTs)
};
static_assert(sizeof(EnclaveAugmentPages) == 24);
static_assert(offsetof(EnclaveAugmentPages, offset) == 0);
static_assert(offsetof(EnclaveAugmentPages, length) == 8);
static_assert(offsetof(EnclaveAugmentPages, count) == 16);

namespace ioctl {
inline constexpr uint32_t kEnclaveCreate =
    ioc::number(ioc::kWrite, kSgxMagic, 0x00, sizeof(EnclaveCreate));
inline constexpr uint32_t kEnclaveAddPages =
    ioc::number(ioc::kRead | ioc::kWrite, kSgxMagic, 0x01, sizeof(EnclaveAddPages));
inline constexpr uint32_t kEnclaveInit =
    ioc::number(ioc::kWrite, kSgxMagic, 0x02, sizeof(EnclaveInit));
inline constexpr uint32_t kEnclaveProvision =
    ioc::number(ioc::kWrite, kSgxMagic, 0x03, sizeof(EnclaveProvision));
// On /dev/sgx_vepc; it takes no argument (Linux wants 0).
inline constexpr uint32_t kVepcRemoveAll = ioc::number(ioc::kNone, kSgxMagic, 0x04, 0);
inline constexpr uint32_t kEnclaveRestrictPermissions =
    ioc::number(ioc::kRead | ioc::kWrite, kSgxMagic, 0x05, sizeof(EnclaveRestrictPermissions));
inline constexpr uint32_t kEnclaveModifyTypes =
    ioc::number(ioc::kRead | ioc::kWrite, kSgxMagic, 0x06, sizeof(EnclaveModifyTypes));
inline constexpr uint32_t kEnclaveRemovePages =
    ioc::number(ioc::kRead | ioc::kWrite, kSgxMagic, 0x07, sizeof(EnclaveRemovePages));

// Not Linux (see EnclaveAugmentPages).
inline constexpr uint32_t kEnclaveAugmentPages =
    ioc::number(ioc::kRead | ioc::kWrite, kSgxMagic, 0x80, sizeof(EnclaveAugmentPages));

// Linux's values, which user space has compiled in.
static_assert(kEnclaveCreate == 0x4008A400);
static_assert(kEnclaveAddPages == 0xC030A401);
static_assert(kEnclaveInit == 0x4008A402);
static_assert(kEnclaveProvision == 0x4008A403);
static_assert(kVepcRemoveAll == 0x0000A404);
static_assert(kEnclaveRestrictPermissions == 0xC028A405);
static_assert(kEnclaveModifyTypes == 0xC028A406);
static_assert(kEnclaveRemovePages == 0xC018A407);
static_assert(kEnclaveAugmentPages == 0xC018A480);
}  // namespace ioctl

}  // namespace sgxref::uapi
