// File: sgxref.Enclave: one open /dev/sgx_enclave of the machine's process and the
// enclave behind it, driven through the uapi as user space drives it (every argument
// in the process's memory): CREATE, ADD_PAGES, INIT, the SGX2 ioctls, mmap, mprotect,
// munmap, close. It keeps the image it was built from as a signing tool would, so
// init() signs exactly what was added (with the selftests' key, props/testdata).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bindings/machine.h"
#include "driver/encl.h"
#include "user/enclave_image.h"

namespace sgxref::bindings {

// What an ioctl copied back: `count` (bytes done) and, for RESTRICT_PERMISSIONS and
// MODIFY_TYPES, `result` (the SGX code of the leaf that refused a page).
struct IoctlResult {
  uint64_t count = 0;
  std::optional<uint64_t> result;
};

class Enclave {
 public:
  Enclave(std::shared_ptr<Machine> m, int fd) : m_(std::move(m)), fd_(fd) {}

  // open("/dev/sgx_enclave").
  static std::shared_ptr<Enclave> open(const std::shared_ptr<Machine>& m);
  // The selftests' setup_test_encl: the test enclave with `heap_pages` of heap, loaded
  // by the loader (user/enclave_loader.h) and mapped segment by segment.
  static std::shared_ptr<Enclave> load_test_enclave(const std::shared_ptr<Machine>& m,
                                                    uint64_t heap_pages);

  Machine& machine() const { return *m_; }
  const std::shared_ptr<Machine>& machine_ptr() const { return m_; }
  int fd() const { return fd_; }
  uint64_t base() const { return base_; }
  uint64_t size() const { return image_.size; }

  // SGX_IOC_ENCLAVE_CREATE with a SECS of these fields; without `base`, ELRANGE is
  // reserved as the selftests' loader does (twice the size, the aligned middle kept).
  void create(uint64_t size, std::optional<uint64_t> base, uint64_t attributes,
              uint32_t ssa_frame_size, uint64_t xfrm, uint32_t miscselect);
  IoctlResult add_pages(uint64_t offset, const std::string& data, uint64_t secinfo, uint64_t flags);
  // SGX_IOC_ENCLAVE_INIT with the SIGSTRUCT of what was created and added so far.
  void init();
  IoctlResult restrict_permissions(uint64_t offset, uint64_t length, uint64_t permissions);
  IoctlResult modify_types(uint64_t offset, uint64_t length, uint64_t page_type);
  IoctlResult remove_pages(uint64_t offset, uint64_t length);
  // MAP_SHARED | MAP_FIXED of the descriptor at `addr`: the address.
  uint64_t mmap(uint64_t addr, uint64_t length, uint64_t prot);
  void mprotect(uint64_t addr, uint64_t length, uint64_t prot);
  void munmap(uint64_t addr, uint64_t length);
  void close();

  // The driver's enclave behind the descriptor, or ValueError once it is closed. Call
  // inside Machine::run.
  driver::Encl& encl();

 private:
  // The SGX2 ioctls: `Arg` in user memory, the ioctl, `Arg` read back, the errno raised
  // with the out fields (`result` where `Arg` has one).
  template <typename Arg>
  IoctlResult modify(unsigned int cmd, const char* name, Arg arg);

  std::shared_ptr<Machine> m_;
  int fd_;
  uint64_t base_ = 0;
  user::EnclaveImage image_;
};

using EnclaveClass = pybind11::class_<Enclave, std::shared_ptr<Enclave>>;

// The Enclave class, and Machine.open / Machine.load_test_enclave.
EnclaveClass bind_enclave(pybind11::module_& m, MachineClass& machine);

}  // namespace sgxref::bindings
