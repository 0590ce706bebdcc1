// File: a guest kernel on a virtual EPC, played by the process of a DriverFixture. KVM
// gives a guest the pages of a /dev/sgx_vepc mapping as its EPC, and the guest's own
// SGX driver builds enclaves in them with ENCLS. Here the process is the VMM: it maps
// the device, and the test plays KVM and the guest at once. It finds the EPC page behind
// a mapped address as KVM does for a VM_PFNMAP mapping (fault it in, then read the PTE
// the driver installed: fixup_user_fault and follow_pte) and runs the leaves on the CPU
// the current task holds. With one level of paging, an enclave's ELRANGE is the range
// where the VMM maps its pages, so EENTER walks the same page table.
#pragma once

#include <cstdint>

#include "driver/virt.h"
#include "driver_fixture.h"
#include "hw/fault.h"
#include "kernel/mm.h"

namespace sgxref::testlib {

class GuestKernel {
 public:
  explicit GuestKernel(DriverFixture& f) : f_(f) {}

  // /dev/sgx_vepc's file operations, where the zombie SECS pages wait.
  driver::VepcFops& device();

  // A new instance: the descriptor, or -errno.
  int open_vepc();
  // `pages` pages of instance `fd` from page `pgoff` on, mapped shared RW at `at`
  // (MAP_FIXED unless 0): the address, or -errno.
  long map(int fd, hw::LAddr at, uint64_t pages, uint64_t pgoff = 0);

  // The page of `va` faulted in as a guest touching its memory does, the fault taken
  // again while the driver asks for a retry (KVM's fixup_user_fault): kSigbus when the
  // driver found no EPC page for it, kSigsegv where nothing is mapped.
  kernel::FaultResult fault_in(hw::LAddr va);
  // The EPC page behind `va` of a mapping, faulted in; 0 if the fault path could not map
  // one.
  hw::PAddr epc_page(hw::LAddr va);

  // Builds enclave `spec` as DriverFixture::build_enclave lays it out (the TCS at offset
  // 0, REG page i at offset 1+i, each measured; the SIGSTRUCT of sigstruct_for): its SECS
  // in the page at `secs_va`, ELRANGE page i in the page mapped at spec.base + i pages.
  // The first leaf that fails, or success.
  hw::Result ecreate(const EnclaveSpec& spec, hw::LAddr secs_va);
  hw::Result add_pages(const EnclaveSpec& spec, hw::LAddr secs_va);
  hw::Result einit(const EnclaveSpec& spec, hw::LAddr secs_va);
  hw::Result build(const EnclaveSpec& spec, hw::LAddr secs_va);

  // EENTER through the TCS at spec.base from the current task's CPU, which stays in the
  // enclave until eexit(); the task must hold its CPU (kernel::CpuHold) across both.
  hw::Result eenter(const EnclaveSpec& spec);
  hw::Result eexit();

 private:
  // Whether the vEPC index behind `page` has an EPC page (every mapping a guest faults in
  // is a vEPC instance's).
  bool index_has_page(hw::LAddr page);

  DriverFixture& f_;
  hw::LAddr aep_ = 0;  // where AEX and EEXIT land: a page of the VMM outside ELRANGE
};

}  // namespace sgxref::testlib
