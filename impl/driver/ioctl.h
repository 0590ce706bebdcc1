// File: the /dev/sgx_enclave ioctls (Linux's ioctl.c): building an enclave (CREATE,
// ADD_PAGES, INIT), PROVISION, and the dispatch that lets one run at a time.
#pragma once

#include "hw/address.h"

namespace sgxref::driver {

class Encl;
class SgxDriver;

// sgx_ioctl: 0 or -errno, the argument at user address `arg` filled as Linux fills it;
// -EBUSY while another ioctl runs on the same enclave; -ENOIOCTLCMD for a command this
// device does not know.
long sgx_ioctl(SgxDriver& d, Encl& encl, unsigned int cmd, hw::LAddr arg);

}  // namespace sgxref::driver
