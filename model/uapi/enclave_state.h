// File: what a process can observe of one initialized SGX2 enclave, over the part of its
// ELRANGE that user space changes at run time (its image stays out: a command there
// would rewrite the program the enclave runs). A page exists or not; an existing page
// has the EPCM view an enclave thread meets (type, rights, PENDING, MODIFIED, PR), the
// most the driver lets it be mapped with (vm_max_prot_bits) and its bytes. An offset is
// mapped by one VMA of the process, with its rights, or by none. A TCS's thread is outside or
// stopped inside by an exception, with the operation it was doing.
//
// There is no eviction here: reclaim must be invisible, so every rule below holds
// whatever the driver has written out. Linux's facts (ioctl.c, encl.c) and the SDM's
// (EAUG, EMODPR, EMODT, EACCEPT, EMODPE), restated; the model shares no code with impl/.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "arch/types.h"

namespace sgxref::model::uapi {

namespace pt = arch::pt;
namespace sgx = arch::sgx;
namespace pfec = arch::pfec;

inline constexpr uint64_t kPage = 4096;

// The errno values user space sees, negated as the kernel returns them.
namespace err {
inline constexpr long kPerm = -1;
inline constexpr long kAgain = -11;
inline constexpr long kNoMem = -12;
inline constexpr long kAccess = -13;
inline constexpr long kFault = -14;
inline constexpr long kBusy = -16;
inline constexpr long kInval = -22;
}  // namespace err

// Rights in one order for SECINFO, the EPCM, VMAs and vm_max_prot_bits.
namespace prot {
inline constexpr uint8_t kR = 1;
inline constexpr uint8_t kW = 2;
inline constexpr uint8_t kX = 4;
inline constexpr uint8_t kRw = kR | kW;
inline constexpr uint8_t kRwx = kR | kW | kX;
}  // namespace prot

// SECINFO.FLAGS: rights in bits 2:0, then PENDING, MODIFIED, PR; the type in 15:8.
namespace secinfo {
inline constexpr uint64_t kPending = 1 << 3;
inline constexpr uint64_t kModified = 1 << 4;
inline constexpr uint64_t kPr = 1 << 5;
// Bits 6, 7 and 16 to 63: any of them set is #GP for the leaves that read a SECINFO.
inline constexpr uint64_t kReserved = ~uint64_t(0x7 | kPending | kModified | kPr | 0xFF00);
inline constexpr uint64_t type(int64_t t) { return uint64_t(t) << 8; }
inline constexpr int64_t type_of(uint64_t flags) { return int64_t((flags >> 8) & 0xFF); }
}  // namespace secinfo

struct Page {
  int64_t type = pt::kReg;
  uint8_t rights = 0;
  bool pending = false;
  bool modified = false;
  bool pr = false;
  uint8_t max_prot = 0;
  std::vector<uint8_t> bytes = std::vector<uint8_t>(kPage);

  uint64_t word(uint64_t at) const {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | bytes[at + uint64_t(i)];
    return v;
  }
  void set_word(uint64_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes[at + uint64_t(i)] = uint8_t(v >> (8 * i));
  }
  bool operator==(const Page&) const = default;
};

// An enclave thread's operation (the selftests' test enclave's).
struct EnclaveOp {
  enum class Kind : uint8_t { kLoad, kStore, kEaccept, kEacceptCopy, kEmodpe, kInitTcs };
  Kind kind = Kind::kLoad;
  uint64_t offset = 0;  // the word's (load, store) or the page's
  uint64_t arg = 0;     // the value stored, SECINFO.FLAGS, or a new TCS's OSSA
  uint64_t entry = 0;   // a new TCS's OENTRY
  uint64_t source = 0;  // EACCEPTCOPY's source page
  bool operator==(const EnclaveOp&) const = default;
};

struct Enclave {
  uint64_t base = 0;           // ELRANGE's base: where faults are reported
  uint64_t size = 0;           // ELRANGE's size: the ioctls' range check
  uint64_t first = 0;          // the modelled part is [first, size)
  std::map<uint64_t, uint8_t> vma_prot;  // by page offset; absent: no VMA maps the page
  // Where the mapping's VMAs begin in the modelled part (`first` among them when it is
  // mapped); a VMA ends where the next begins or a page no VMA maps, the last at `size`.
  // Every page of a VMA has its rights.
  std::set<uint64_t> vma_starts;
  std::map<uint64_t, Page> pages;        // by page offset; absent: no page there
  std::map<uint64_t, EnclaveOp> stopped; // by TCS offset: a thread an exception stopped

  // The rights of the VMA that maps the page at `offset`; none where no VMA does.
  uint8_t mapped_rights(uint64_t offset) const {
    const auto it = vma_prot.find(offset);
    return it == vma_prot.end() ? 0 : it->second;
  }
  bool modelled(uint64_t offset, uint64_t length) const {
    return offset >= first && offset <= size && length <= size - offset;
  }
};

// A page EAUG gives (SDM EAUG; Linux sgx_encl_eaug_page): zeroed, REG, RW, PENDING, and
// mappable RWX, so the enclave may extend its rights with EMODPE later.
inline Page augmented_page() {
  Page p;
  p.rights = prot::kRw;
  p.pending = true;
  p.max_prot = prot::kRwx;
  return p;
}

}  // namespace sgxref::model::uapi
