// File: the driver as a whole (Linux's driver.c): the SGX core, the /dev/sgx_enclave,
// /dev/sgx_provision and /dev/sgx_vepc devices registered on a kernel, and the masks of what
// SIGSTRUCTs may ask for, read from the CPUID leaves at init (sgx_drv_init).
#pragma once

#include <cstdint>

#include "driver/alternatives.h"
#include "driver/main.h"
#include "driver/virt.h"
#include "kernel/file.h"
#include "kernel/kernel.h"

namespace sgxref::driver {

class SgxDriver;

// /dev/sgx_enclave: one enclave per open file.
class EnclaveFops : public kernel::FileOps {
 public:
  explicit EnclaveFops(SgxDriver& d) : d_(d) {}
  int open(kernel::File& file) override;
  long ioctl(kernel::File& file, unsigned int cmd, hw::LAddr arg) override;
  int mmap(kernel::File& file, kernel::Vma& vma) override;
  long get_unmapped_area(kernel::File&, hw::LAddr addr, uint64_t len, uint64_t pgoff,
                         uint64_t flags) override;
  void release(kernel::File& file) override;

 private:
  SgxDriver& d_;
};

// /dev/sgx_provision: no operations; holding it open is the right to PROVISIONKEY.
class ProvisionFops : public kernel::FileOps {};

class SgxDriver {
 public:
  struct Options {
    Sgx::Options sgx;
    // The reviewers' design alternatives; the defaults are Linux's.
    Alternatives alternatives;
  };

  // Registers the devices on `k`; call from a kernel task.
  SgxDriver(kernel::Kernel& k, const Options& o);
  // Unregisters them. Every enclave file must be closed first.
  ~SgxDriver();
  SgxDriver(const SgxDriver&) = delete;
  SgxDriver& operator=(const SgxDriver&) = delete;

  kernel::Kernel& kernel() const { return k_; }
  Sgx& sgx() { return sgx_; }

  bool is_provision_file(const kernel::File& f) const { return &f.ops() == &provision_fops_; }

  const Alternatives& alternatives() const { return alternatives_; }

  // Bits a SIGSTRUCT may not ask for where its mask covers them.
  uint64_t attributes_reserved_mask() const { return attributes_reserved_mask_; }
  uint64_t misc_reserved_mask() const { return misc_reserved_mask_; }
  uint64_t xfrm_reserved_mask() const { return xfrm_reserved_mask_; }

 private:
  kernel::Kernel& k_;
  Sgx sgx_;
  Alternatives alternatives_;
  EnclaveFops enclave_fops_{*this};
  ProvisionFops provision_fops_;
  VepcFops vepc_fops_{sgx_};
  uint64_t attributes_reserved_mask_;
  uint64_t misc_reserved_mask_;
  uint64_t xfrm_reserved_mask_;
};

}  // namespace sgxref::driver
