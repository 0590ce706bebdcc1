#include "user/vsgx.h"

#include <cerrno>
#include <optional>

#include "hw/cpu.h"
#include "kernel/mm.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "kernel/user_mode.h"
#include "sched/scheduler.h"
#include "user/enclave_program.h"

namespace sgxref::user {

namespace {

bool reserved_clear(const uapi::EnclaveRun& run) {
  for (uint8_t b : run.reserved) {
    if (b != 0) return false;
  }
  return true;
}

// What reached the vDSO's code after its ENCLU: EEXIT, or the exception fixup.
struct EncluExit {
  bool exception = false;
  uint32_t leaf = 0;  // EAX at the fault: the leaf being executed
  hw::Fault fault;
};

// The ENCLU at kVdsoEnclu, with RAX, RBX, RCX already loaded, and everything that runs
// before the vDSO's own code does again: the enclave until EEXIT, and every AEX whose
// cause the kernel resolves, followed by the AEP's ERESUME. A commit the interpreter
// owes after an interrupt is carried to the next ERESUME that succeeds; it is lost only
// if ERESUME ends in a signal first, and then the caller's own ERESUME runs the
// instruction again.
EncluExit enclu(hw::Cpu& cpu, kernel::Mm& mm) {
  std::optional<Unretired> owed;
  for (;;) {
    const hw::Registers at = cpu.regs();
    const hw::Result entered = at.rax == uapi::enclu::kEenter ? cpu.eenter(at.rbx, at.rcx)
                                                              : cpu.eresume(at.rbx, at.rcx);
    hw::Fault fault = entered.fault;
    if (!entered.faulted()) {
      // An owed commit belongs to the state this ERESUME has just restored.
      ProgramExit x = run_enclave_program(cpu, owed);
      if (x.kind == ProgramExit::Kind::kEexit) return EncluExit{};
      owed = std::move(x.unretired);
      fault = x.fault;
    }
    if (fault.vector != hw::Vector::kIntr &&
        kernel::do_user_addr_fault(mm, fault) != kernel::FaultResult::kHandled) {
      return EncluExit{true, uint32_t(cpu.regs().rax), fault};
    }
    // Back to user mode and the ENCLU again. A fault handler may have resolved the fault
    // without mapping anything yet (VM_FAULT_NOPAGE while the page is written out), so
    // this is a spin-wait on other threads, as in kernel/user_mode.cc.
    sched::yield("vdso.enclu_retry");
  }
}

}  // namespace

int vdso_sgx_enter_enclave(unsigned long rdi, unsigned long rsi, unsigned long rdx,
                           unsigned int function, unsigned long r8, unsigned long r9,
                           uapi::EnclaveRun* run) {
  kernel::CpuHold hold;
  hw::Cpu& cpu = kernel::this_cpu();
  kernel::Mm& mm = *kernel::current().mm();
  hw::Registers r = cpu.regs();
  r.rdi = rdi;
  r.rsi = rsi;
  r.rdx = rdx;
  r.r8 = r8;
  r.r9 = r9;
  for (unsigned int leaf = function;;) {
    if (leaf != uapi::enclu::kEenter && leaf != uapi::enclu::kEresume) return -EINVAL;
    if (!reserved_clear(*run)) return -EINVAL;
    r.rax = leaf;
    r.rbx = run->tcs;
    r.rcx = kVdsoEnclu;
    r.rip = kVdsoAfterEnclu;  // EENTER hands the enclave the address after its ENCLU
    cpu.set_regs(r);          // outside enclave mode: no interrupt can refuse it

    const EncluExit e = enclu(cpu, mm);
    r = cpu.regs();
    if (e.exception) {
      run->function = e.leaf;
      run->exception_vector = uint16_t(e.fault.vector);
      run->exception_error_code = uint16_t(e.fault.error_code);
      run->exception_addr = e.fault.addr;
      r.rdi = uint64_t(e.fault.vector);
      r.rsi = e.fault.error_code;
      r.rdx = e.fault.addr;
    } else {
      run->function = uapi::enclu::kEexit;
    }

    if (run->user_handler == 0) return 0;
    const auto handler = reinterpret_cast<uapi::EnclaveUserHandler>(run->user_handler);
    const int ret = handler(long(r.rdi), long(r.rsi), long(r.rdx), long(r.rsp), long(r.r8),
                            long(r.r9), run);
    if (ret <= 0) return ret;
    leaf = unsigned(ret);
  }
}

}  // namespace sgxref::user
