#include "driver/driver.h"

#include "driver/encl.h"
#include "driver/ioctl.h"
#include "driver/vm_ops.h"
#include "kernel/errno.h"
#include "kernel/vm_flags.h"
#include "kernel/vma.h"
#include "uapi/secs.h"

namespace sgxref::driver {

namespace {

Encl& encl_of(kernel::File& file) { return *static_cast<Encl*>(file.private_data.get()); }

}  // namespace

SgxDriver::SgxDriver(kernel::Kernel& k, const Options& o)
    : k_(k), sgx_(k, o.sgx), alternatives_(o.alternatives) {
  const hw::Config& cfg = k.machine().config();
  // MISCSELECT bits 63:1 are reserved however CPUID reads.
  misc_reserved_mask_ = ~uint64_t(cfg.miscselect_supported) | ~uint64_t(1);
  attributes_reserved_mask_ = ~cfg.attributes_supported | uapi::attr::kReserved;
  xfrm_reserved_mask_ = ~cfg.xfrm_supported;
  k.register_device("sgx_enclave", enclave_fops_);
  k.register_device("sgx_provision", provision_fops_);
  // Linux's sgx_vepc_init registers sgx_vepc only on a CPU with VMX, since KVM is its
  // one user; the emulator has no VMX to enumerate and its guests are tests playing
  // KVM, so the device is always there (docs/driver.md, "Virtual EPC").
  k.register_device("sgx_vepc", vepc_fops_);
}

SgxDriver::~SgxDriver() {
  k_.unregister_device("sgx_enclave");
  k_.unregister_device("sgx_provision");
  k_.unregister_device("sgx_vepc");
}

// sgx_open
int EnclaveFops::open(kernel::File& file) {
  if (d_.kernel().faults().should_fail(kernel::FailPoint::kKmalloc)) return -ENOMEM;
  file.private_data = std::make_shared<Encl>(d_.sgx(), d_.alternatives());
  return 0;
}

// sgx_release: the address spaces' references first, then the file's own.
void EnclaveFops::release(kernel::File& file) {
  encl_of(file).drain_mm_list();
  file.private_data.reset();
}

long EnclaveFops::ioctl(kernel::File& file, unsigned int cmd, hw::LAddr arg) {
  return sgx_ioctl(d_, encl_of(file), cmd, arg);
}

// sgx_mmap
int EnclaveFops::mmap(kernel::File& file, kernel::Vma& vma) {
  Encl& encl = encl_of(file);
  if (int ret = encl.may_map(vma.start, vma.end, vma.flags); ret != 0) return ret;
  if (int ret = encl.mm_add(*vma.mm); ret != 0) return ret;
  vma.ops = &sgx_vm_ops();
  vma.flags |= kernel::VM_PFNMAP | kernel::VM_DONTEXPAND | kernel::VM_DONTDUMP | kernel::VM_IO;
  vma.private_data = &encl;
  return 0;
}

// sgx_get_unmapped_area: enclave memory is shared by every mapping of it; a private
// (copy-on-write) mapping of EPC cannot work.
long EnclaveFops::get_unmapped_area(kernel::File&, hw::LAddr, uint64_t, uint64_t,
                                    uint64_t flags) {
  if (flags & kernel::MAP_PRIVATE) return -EINVAL;
  return 0;
}

}  // namespace sgxref::driver
