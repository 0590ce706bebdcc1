// File: ENCLS operand blocks written into the calling CPU's scratch RAM (Sgx::cpu_operands),
// as Linux fills a PAGEINFO and a SECINFO on its stack before the leaf.
#pragma once

#include <cstdint>

#include "driver/main.h"
#include "hw/address.h"
#include "uapi/secinfo.h"

namespace sgxref::driver {

// A PAGEINFO {linaddr, contents, metadata, secs} at the scratch block's start.
hw::PAddr put_pageinfo(Sgx& sgx, hw::LAddr linaddr, hw::PAddr contents, hw::PAddr metadata,
                       hw::PAddr secs);
// A SECINFO with `flags` and zeroed reserved bytes, after the PAGEINFO.
hw::PAddr put_secinfo(Sgx& sgx, uint64_t flags);
// A SECINFO copied from user space, reserved bytes and all.
hw::PAddr put_secinfo(Sgx& sgx, const uapi::SecInfo& secinfo);

}  // namespace sgxref::driver
