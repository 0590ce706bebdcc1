// EEXIT: leave the enclave for an address outside it (SDM vol. 3D "EEXIT—Exits an
// Enclave"). The enclave must have scrubbed its registers itself; EEXIT keeps them.
#include "hw/cpu.h"
#include "hw/leaves/enclave_entry.h"
#include "hw/machine.h"
#include "hw/shared_bytes.h"

namespace sgxref::hw {

Result Cpu::do_eexit(LAddr target) {
  if (!is_canonical(target)) return Result::gp();
  {
    sched::MutexLock l(m_.mu());
    store_shared(m_.page(ctx_.tcs_slot) + offsetof(uapi::Tcs, state), &kTcsInactive,
                 sizeof kTcsInactive);
    m_.cpu_tracking()[id_] = CpuTracking{};
  }
  regs_.rip = target;
  regs_.rcx = ctx_.aep;
  regs_.fs_base = ctx_.saved_fs_base;
  regs_.gs_base = ctx_.saved_gs_base;
  tlb_.flush();
  enclave_mode_.store(false, std::memory_order_seq_cst);
  return Result::ok();
}

}  // namespace sgxref::hw
