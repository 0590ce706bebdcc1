// File: the /dev/sgx_enclave ioctls (Linux's ioctl.c): building an enclave (CREATE,
// ADD_PAGES, INIT), PROVISION, and the dispatch that lets one run at a time (ioctl.cc);
// the SGX2 page modifications (ioctl_sgx2.cc, which Linux keeps in ioctl.c too).
#pragma once

#include <cstdint>

#include "hw/address.h"

namespace sgxref::driver {

class Encl;
class SgxDriver;

// sgx_ioctl: 0 or -errno, the argument at user address `arg` filled as Linux fills it;
// -EBUSY while another ioctl runs on the same enclave; -ENOIOCTLCMD for a command this
// device does not know.
long sgx_ioctl(SgxDriver& d, Encl& encl, unsigned int cmd, hw::LAddr arg);

// sgx_validate_offset_length: -EINVAL unless [offset, offset + length) is a non-empty,
// page-aligned range inside ELRANGE that does not wrap.
int validate_offset_length(const Encl& encl, uint64_t offset, uint64_t length);

// ioctl_sgx2.cc: SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, MODIFY_TYPES and REMOVE_PAGES, as
// Linux's handlers of the same names; and AUGMENT_PAGES, which is not Linux's (the
// design alternative eaug.via=ioctl, driver/alternatives.h).
long ioc_enclave_restrict_permissions(SgxDriver& d, Encl& encl, hw::LAddr arg);
long ioc_enclave_modify_types(SgxDriver& d, Encl& encl, hw::LAddr arg);
long ioc_enclave_remove_pages(SgxDriver& d, Encl& encl, hw::LAddr arg);
long ioc_enclave_augment_pages(SgxDriver& d, Encl& encl, hw::LAddr arg);

}  // namespace sgxref::driver
