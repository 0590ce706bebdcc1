// File: the kernel selftests' test enclave (tools/testing/selftests/sgx: test_encl.c,
// test_encl_bootstrap.S, test_encl.lds), written for the emulator: its program in
// enclave code (enclave_isa.h) and its image.
//
// The program is entered with RDI = the address of an operation (test_encl_ops.h), RBX
// = the TCS it entered through and RCX = the address EENTER came from. It dispatches on
// the operation's type, does it, clears the registers it used, and EEXITs to that
// address, as the selftests' bootstrap does. The SECINFO of EACCEPT and EMODPE is built in
// a 64-byte block private to the thread: at the thread's TCS address + Layout::scratch,
// as the selftests find each thread's stack from its TCS. A TCS the enclave creates at
// run time (the selftests' tcs_create) has no such page at that distance, so it enters
// at dyn_entry(), which takes the block from the last 64 bytes of the page before the
// TCS, as the bootstrap's encl_dyn_entry takes its stack from there.
#pragma once

#include <cstdint>
#include <vector>

#include "user/enclave_image.h"
#include "user/enclave_isa.h"

namespace sgxref::user::test_encl {

// Where the program finds things, as enclave offsets.
struct Layout {
  uint64_t code = 0;     // its first instruction (every TCS's OENTRY)
  uint64_t buffer = 0;   // encl_buffer
  uint64_t scratch = 0;  // TCS address + scratch: the thread's SECINFO block, 64-aligned
};

// The program's bytes, to be placed at `l.code`; they fit in one page.
std::vector<uint8_t> assemble(const Layout& l);

// encl_dyn_entry's enclave offset, for a TCS's OENTRY: after encl_entry's two
// instructions (l.code is encl_entry).
constexpr uint64_t dyn_entry(const Layout& l) { return l.code + 2 * isa::kInsnSize; }

// The image, laid out as the selftests' linker script does (offsets from the base):
//   0x0000 TCS #1, 0x1000 TCS #2 (TCS, mapped RW): entry at kText, one SSA frame each
//   0x2000 text (REG R-X): the program
//   0x3000 encl_buffer, two pages (REG RW), its first byte 1 as test_encl.c has it
//   0x5000 thread 1's stack page, 0x6000 thread 2's (REG RW): the SECINFO blocks
//   0x7000 SSA frame of TCS #1, 0x8000 of TCS #2 (REG RW)
// Every page is measured; ELRANGE is 64 KiB.
inline constexpr uint64_t kTcs1 = 0x0000;
inline constexpr uint64_t kTcs2 = 0x1000;
inline constexpr uint64_t kText = 0x2000;
inline constexpr uint64_t kBuffer = 0x3000;
inline constexpr uint64_t kBufferSize = 0x2000;
inline constexpr uint64_t kStack1 = 0x5000;
inline constexpr uint64_t kStack2 = 0x6000;
inline constexpr uint64_t kSsa1 = 0x7000;
inline constexpr uint64_t kSsa2 = 0x8000;
inline constexpr uint64_t kImageEnd = 0x9000;
inline constexpr Layout kLayout{kText, kBuffer, kStack1 + 0x1000 - 64};
inline constexpr uint64_t kDynEntry = dyn_entry(kLayout);

EnclaveImage image();

}  // namespace sgxref::user::test_encl
