// File: the operations the test enclave performs (test_encl.h) and the structs user
// space passes it, by address in RDI, with the layout of the kernel selftests' defines.h
// (tools/testing/selftests/sgx): a u64 type, then the operation's fields.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sgxref::user {

enum EnclOpType : uint64_t {
  kEnclOpPutToBuffer = 0,
  kEnclOpGetFromBuffer = 1,
  kEnclOpPutToAddress = 2,
  kEnclOpGetFromAddress = 3,
  kEnclOpNop = 4,
  kEnclOpEaccept = 5,
  kEnclOpEmodpe = 6,
  kEnclOpInitTcsPage = 7,
  // Not in the selftests' enclave, which never runs EACCEPTCOPY: sgxref's, so that the
  // uapi model's every ENCLU leaf the enclave may run is reachable from user space.
  kEnclOpEacceptCopy = 8,
  kEnclOpMax = 9,  // this and above: the enclave does nothing
};

struct EnclOpHeader {
  uint64_t type;
};

// The first 8 bytes of encl_buffer := value.
struct EnclOpPutToBuf {
  EnclOpHeader header;
  uint64_t value;
};

// value := the first 8 bytes of encl_buffer.
struct EnclOpGetFromBuf {
  EnclOpHeader header;
  uint64_t value;
};

// The 8 bytes at addr := value.
struct EnclOpPutToAddr {
  EnclOpHeader header;
  uint64_t value;
  uint64_t addr;
};

// value := the 8 bytes at addr.
struct EnclOpGetFromAddr {
  EnclOpHeader header;
  uint64_t value;
  uint64_t addr;
};

// EACCEPT of the page at epc_addr with a SECINFO of `flags`; ret := its code (RAX).
struct EnclOpEaccept {
  EnclOpHeader header;
  uint64_t epc_addr;
  uint64_t flags;
  uint64_t ret;
};

// EMODPE of the page at epc_addr with a SECINFO of `flags`.
struct EnclOpEmodpe {
  EnclOpHeader header;
  uint64_t epc_addr;
  uint64_t flags;
};

// EACCEPTCOPY of the page at src_addr into the pending page at epc_addr, with a SECINFO
// of `flags`; ret := its code (RAX). Laid out as EnclOpEaccept, then the source.
struct EnclOpEacceptCopy {
  EnclOpHeader header;
  uint64_t epc_addr;
  uint64_t flags;
  uint64_t ret;
  uint64_t src_addr;
};

// Writes a TCS into the REG page at tcs_page (before EMODT makes it a TCS): OSSA = ssa,
// OENTRY = entry, one SSA frame, FS/GS limits all-ones, everything else zero.
struct EnclOpInitTcsPage {
  EnclOpHeader header;
  uint64_t tcs_page;
  uint64_t ssa;
  uint64_t entry;
};

static_assert(sizeof(EnclOpPutToBuf) == 16 && offsetof(EnclOpPutToBuf, value) == 8);
static_assert(sizeof(EnclOpGetFromBuf) == 16 && offsetof(EnclOpGetFromBuf, value) == 8);
static_assert(sizeof(EnclOpPutToAddr) == 24 && offsetof(EnclOpPutToAddr, addr) == 16);
static_assert(sizeof(EnclOpGetFromAddr) == 24 && offsetof(EnclOpGetFromAddr, addr) == 16);
static_assert(sizeof(EnclOpEaccept) == 32 && offsetof(EnclOpEaccept, epc_addr) == 8 &&
              offsetof(EnclOpEaccept, flags) == 16 && offsetof(EnclOpEaccept, ret) == 24);
static_assert(sizeof(EnclOpEacceptCopy) == 40 &&
              offsetof(EnclOpEacceptCopy, epc_addr) == offsetof(EnclOpEaccept, epc_addr) &&
              offsetof(EnclOpEacceptCopy, ret) == offsetof(EnclOpEaccept, ret));
static_assert(sizeof(EnclOpEmodpe) == 24 && offsetof(EnclOpEmodpe, flags) == 16);
static_assert(sizeof(EnclOpInitTcsPage) == 32 && offsetof(EnclOpInitTcsPage, ssa) == 16 &&
              offsetof(EnclOpInitTcsPage, entry) == 24);

}  // namespace sgxref::user
