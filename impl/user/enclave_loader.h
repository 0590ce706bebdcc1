// File: loading an enclave image into a process the way the kernel selftests' load.c
// and main.c (setup_test_encl) do, through the driver's file descriptor alone: open
// /dev/sgx_enclave; reserve twice ELRANGE's size with an anonymous PROT_NONE mapping and
// keep the naturally aligned middle; SGX_IOC_ENCLAVE_CREATE with a SECS; one
// SGX_IOC_ENCLAVE_ADD_PAGES per segment (continued from `count` when a signal cut it
// short); SGX_IOC_ENCLAVE_INIT with the image's SIGSTRUCT; then an mmap of the
// descriptor over each segment with its protections, after the pages are added since
// their rights cap what may be mapped. Every argument lives in the process's memory,
// written there as a C program's stack and heap would be. Call it from a task of the
// process.
#pragma once

#include <cstdint>

#include "hw/address.h"
#include "kernel/process.h"
#include "sign/signing_key.h"
#include "user/enclave_image.h"

namespace sgxref::user {

struct LoadedEnclave {
  int fd = -1;
  hw::LAddr base = 0;
  uint64_t size = 0;
};

// encl_map_area: twice `size` reserved PROT_NONE, then only the naturally aligned middle
// kept (`base`), since ELRANGE's base must be a multiple of its size. 0 or -errno.
long reserve_elrange(kernel::Process& p, uint64_t size, hw::LAddr& base);

// 0 and `out` filled, or the -errno of the step that failed, with everything undone
// (mappings removed, the descriptor closed).
long load_enclave(kernel::Process& p, const EnclaveImage& image, const sign::SigningKey& key,
                  LoadedEnclave& out);

// encl_delete: the mappings and the descriptor.
void unload_enclave(kernel::Process& p, LoadedEnclave& e);

}  // namespace sgxref::user
