#include "guest_kernel.h"

#include <stdexcept>

#include "hw/cpu.h"
#include "hw/crypto/sha256.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "kernel/vm_flags.h"
#include "sched/scheduler.h"
#include "testlib/enclave_builder.h"
#include "testlib/kernel_memory.h"
#include "uapi/secinfo.h"
#include "uapi/sigstruct.h"

namespace sgxref::testlib {

namespace {

namespace sf = uapi::secinfo_flag;
constexpr uint64_t kPage = hw::kPageSize;

}  // namespace

driver::VepcFops& GuestKernel::device() {
  return dynamic_cast<driver::VepcFops&>(*f_.kernel().device("sgx_vepc"));
}

int GuestKernel::open_vepc() { return f_.process().open("sgx_vepc"); }

long GuestKernel::map(int fd, hw::LAddr at, uint64_t pages, uint64_t pgoff) {
  return f_.process().mmap(at, pages * kPage, kernel::PROT_READ | kernel::PROT_WRITE,
                           kernel::MAP_SHARED | (at != 0 ? kernel::MAP_FIXED : 0), fd,
                           pgoff * kPage);
}

kernel::FaultResult GuestKernel::fault_in(hw::LAddr va) {
  kernel::Mm& mm = f_.process().mm();
  const hw::LAddr page = hw::page_of(va);
  while (!mm.page_table().get(page).present) {
    {
      kernel::CpuHold cpu;
      const kernel::FaultResult r = mm.handle_mm_fault(page, true, false);
      if (r != kernel::FaultResult::kHandled) return r;
    }
    if (mm.page_table().get(page).present) break;
    // Handled without a PTE. An index another mapping already holds stays unmapped for
    // good (__sgx_vepc_fault answers it with success; QEMU never maps an index twice).
    // Otherwise the driver found no free EPC page while ksgxd can still free some
    // (-EBUSY), and fixup_user_fault takes the fault again.
    if (index_has_page(page)) return kernel::FaultResult::kHandled;
    sched::yield("kvm.fault_retry");
  }
  return kernel::FaultResult::kHandled;
}

bool GuestKernel::index_has_page(hw::LAddr page) {
  kernel::Mm& mm = f_.process().mm();
  sched::ReaderLock l(mm.mmap_lock);
  const kernel::Vma* vma = mm.find_vma(page);
  if (vma == nullptr) return false;
  const auto& vepc = *static_cast<const driver::SgxVepc*>(vma->private_data);
  return vepc.xa_load(vma->pgoff + (page - vma->start) / kPage) != nullptr;
}

hw::PAddr GuestKernel::epc_page(hw::LAddr va) {
  if (fault_in(va) != kernel::FaultResult::kHandled) return 0;
  return f_.process().mm().page_table().get(hw::page_of(va)).pa;
}

hw::Result GuestKernel::ecreate(const EnclaveSpec& spec, hw::LAddr secs_va) {
  const hw::PAddr secs = epc_page(secs_va);
  if (secs == 0) throw std::logic_error("guest: no EPC page for the SECS");
  kernel::CpuHold cpu;
  EnclaveBuilder b(f_.machine(), *f_.machine().epc_slot(secs), kernel::this_cpu().id());
  return b.create(f_.secs_for(spec));
}

hw::Result GuestKernel::add_pages(const EnclaveSpec& spec, hw::LAddr secs_va) {
  hw::Machine& m = f_.machine();
  const auto slot_at = [&](hw::LAddr va) {
    const hw::PAddr pa = epc_page(va);
    if (pa == 0) throw std::logic_error("guest: no EPC page at an enclave address");
    return *m.epc_slot(pa);
  };
  const uint32_t secs_slot = slot_at(secs_va);
  const uint32_t tcs_slot = slot_at(spec.base);
  kernel::CpuHold cpu;
  EnclaveBuilder b(m, secs_slot, kernel::this_cpu().id());
  hw::Result r = b.add_measured(tcs_slot, spec.base, DriverFixture::tcs_bytes().data(),
                                sf::type(uapi::PageType::kTcs));
  for (uint64_t i = 0; r.succeeded() && i < spec.reg_pages; ++i) {
    const hw::LAddr la = spec.base + (1 + i) * kPage;
    r = b.add_measured(slot_at(la), la, DriverFixture::page_bytes(spec, i).data(),
                       sf::kR | sf::kW | sf::type(uapi::PageType::kReg));
  }
  return r;
}

hw::Result GuestKernel::einit(const EnclaveSpec& spec, hw::LAddr secs_va) {
  const hw::PAddr secs = epc_page(secs_va);
  const uapi::SigStruct sig = f_.sigstruct_for(spec);
  kernel::CpuHold cpu;
  KernelMemory mem(f_.machine());
  // The guest's launch control: the hash of the key that signed, in this CPU's MSRs.
  kernel::this_cpu().write_lepubkeyhash(hw::Sha256::of(sig.modulus, sizeof sig.modulus));
  return kernel::this_cpu().einit(mem.put(sig), secs,
                                  mem.put(uapi::EinitToken{}, uapi::kEinitTokenAlign));
}

hw::Result GuestKernel::build(const EnclaveSpec& spec, hw::LAddr secs_va) {
  if (hw::Result r = ecreate(spec, secs_va); !r.succeeded()) return r;
  if (hw::Result r = add_pages(spec, secs_va); !r.succeeded()) return r;
  return einit(spec, secs_va);
}

hw::Result GuestKernel::eenter(const EnclaveSpec& spec) {
  if (kernel::current().cpu() == nullptr) {
    throw std::logic_error("guest: EENTER from a task that holds no CPU");
  }
  if (aep_ == 0) aep_ = f_.user_alloc(kPage);
  return kernel::this_cpu().eenter(spec.base, aep_);
}

hw::Result GuestKernel::eexit() { return kernel::this_cpu().eexit(aep_); }

}  // namespace sgxref::testlib
