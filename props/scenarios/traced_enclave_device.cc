#include "scenarios/traced_enclave_device.h"

#include <stdexcept>

#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "kernel/vma.h"
#include "scenarios/scenario_result.h"
#include "uapi/secs.h"
#include "uapi/sgx_ioctl.h"

namespace sgxref::scenarios {

namespace {

kernel::FileOps& registered(kernel::Kernel& k) {
  kernel::FileOps* ops = k.device("sgx_enclave");
  if (ops == nullptr) throw std::logic_error("TracedEnclaveDevice: no sgx_enclave registered");
  return *ops;
}

std::string errno_text(long ret) {
  return ret < 0 ? std::to_string(ret) + " (-errno)" : std::to_string(ret);
}

std::string prot_text(uint64_t vm_flags) {
  std::string s;
  s += (vm_flags & kernel::VM_READ) ? 'r' : '-';
  s += (vm_flags & kernel::VM_WRITE) ? 'w' : '-';
  s += (vm_flags & kernel::VM_EXEC) ? 'x' : '-';
  return s;
}

// The argument as user space passed it, read before the driver runs (the driver reads
// it the same way, so nothing is faulted in that it would not fault in itself).
template <typename T>
bool peek(hw::LAddr a, T& v) {
  return kernel::copy_from_user(&v, a, sizeof v) == 0;
}

}  // namespace

TracedEnclaveDevice::TracedEnclaveDevice(kernel::Kernel& k, Log log)
    : k_(k), driver_(registered(k)), log_(std::move(log)) {
  k_.register_device("sgx_enclave", *this);
}

TracedEnclaveDevice::~TracedEnclaveDevice() {
  if (k_.device("sgx_enclave") == this) k_.register_device("sgx_enclave", driver_);
}

int TracedEnclaveDevice::open(kernel::File& f) {
  const int ret = driver_.open(f);
  log_("  open(\"/dev/sgx_enclave\"): driver open = " + errno_text(ret));
  return ret;
}

long TracedEnclaveDevice::ioctl(kernel::File& f, unsigned int cmd, hw::LAddr arg) {
  std::string call;
  std::string after;
  long ret = 0;
  if (cmd == uapi::ioctl::kEnclaveCreate) {
    uapi::EnclaveCreate c{};
    uapi::Secs secs{};
    call = "SGX_IOC_ENCLAVE_CREATE";
    if (peek(arg, c) && peek(c.src, secs)) {
      call += " {secs.base " + hex(secs.base) + ", secs.size " + hex(secs.size) + "}";
    }
    ret = driver_.ioctl(f, cmd, arg);
  } else if (cmd == uapi::ioctl::kEnclaveAddPages) {
    uapi::EnclaveAddPages a{};
    call = "SGX_IOC_ENCLAVE_ADD_PAGES";
    if (peek(arg, a)) {
      call += " {offset " + hex(a.offset) + ", length " + hex(a.length) +
              (a.flags & uapi::kPageMeasure ? ", MEASURE" : ", unmeasured") + "}";
    }
    ret = driver_.ioctl(f, cmd, arg);
    if (peek(arg, a)) after = ", count " + hex(a.count);
  } else if (cmd == uapi::ioctl::kEnclaveInit) {
    call = "SGX_IOC_ENCLAVE_INIT";
    ret = driver_.ioctl(f, cmd, arg);
  } else if (cmd == uapi::ioctl::kEnclaveRestrictPermissions) {
    uapi::EnclaveRestrictPermissions a{};
    call = "SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS";
    ret = driver_.ioctl(f, cmd, arg);
    if (peek(arg, a)) after = ", result " + hex(a.result) + ", count " + hex(a.count);
  } else if (cmd == uapi::ioctl::kEnclaveModifyTypes) {
    uapi::EnclaveModifyTypes a{};
    call = "SGX_IOC_ENCLAVE_MODIFY_TYPES";
    ret = driver_.ioctl(f, cmd, arg);
    if (peek(arg, a)) after = ", result " + hex(a.result) + ", count " + hex(a.count);
  } else if (cmd == uapi::ioctl::kEnclaveRemovePages) {
    uapi::EnclaveRemovePages a{};
    call = "SGX_IOC_ENCLAVE_REMOVE_PAGES";
    ret = driver_.ioctl(f, cmd, arg);
    if (peek(arg, a)) after = ", count " + hex(a.count);
  } else {
    call = "ioctl " + hex(cmd);
    ret = driver_.ioctl(f, cmd, arg);
  }
  log_("  ioctl(" + call + ") = " + errno_text(ret) + after);
  return ret;
}

int TracedEnclaveDevice::mmap(kernel::File& f, kernel::Vma& vma) {
  const int ret = driver_.mmap(f, vma);
  log_("  mmap(" + hex(vma.start) + "-" + hex(vma.end) + " " + prot_text(vma.flags) +
       " MAP_SHARED|MAP_FIXED): driver mmap = " + errno_text(ret));
  return ret;
}

long TracedEnclaveDevice::get_unmapped_area(kernel::File& f, hw::LAddr addr, uint64_t len,
                                            uint64_t pgoff, uint64_t flags) {
  return driver_.get_unmapped_area(f, addr, len, pgoff, flags);
}

void TracedEnclaveDevice::release(kernel::File& f) {
  driver_.release(f);
  log_("  release(/dev/sgx_enclave): the enclave's last file reference is gone");
}

}  // namespace sgxref::scenarios
