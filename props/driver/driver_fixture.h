// File: a machine running the driver, with a process that opens /dev/sgx_enclave and
// builds enclaves through the ioctls as user space does: SECS, pages and SIGSTRUCT in
// its own anonymous memory. ksgxd runs in manual mode, so a test decides when it
// reclaims. Every test body runs as the process's task (user()).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "driver/driver.h"
#include "driver/encl.h"
#include "hw/config.h"
#include "hw/machine.h"
#include "kernel/kernel.h"
#include "kernel/process.h"
#include "kernel/task.h"
#include "sign/sigstruct.h"
#include "uapi/secs.h"
#include "uapi/sgx_ioctl.h"
#include "uapi/sigstruct.h"

namespace sgxref::testlib {

struct DriverFixtureOptions {
  uint32_t epc_pages = 64;
  uint32_t epc_sections = 1;
  uint32_t ram_pages = 1u << 16;
  bool ksgxd_thread = false;
  // CPUID's SGX2 bit (hw::Config::sgx2): without it the SGX2 ioctls are -ENODEV and a
  // fault on an unbacked address of ELRANGE is SIGBUS.
  bool sgx2 = true;
  // The driver's design alternatives; default Linux's.
  driver::Alternatives alternatives;
};

// What build_enclave makes: `pages` REG RW pages after one TCS, each page filled with
// bytes derived from its index and `seed`.
struct EnclaveSpec {
  uint64_t base = 0x4000'0000;
  uint64_t size = 0;        // 0: the next power of two holding every page
  uint64_t reg_pages = 4;
  uint64_t attributes = uapi::attr::kMode64Bit | uapi::attr::kDebug;
  uint8_t seed = 1;
};

class DriverFixture {
 public:
  explicit DriverFixture(const DriverFixtureOptions& o = {});
  ~DriverFixture();

  hw::Machine& machine() { return *m_; }
  kernel::Kernel& kernel() { return *k_; }
  driver::SgxDriver& driver() { return *d_; }
  driver::Sgx& sgx() { return d_->sgx(); }
  kernel::Process& process() { return *p_; }
  kernel::Task& task() { return *task_; }

  // Anonymous RW memory of the process, `len` bytes.
  hw::LAddr user_alloc(uint64_t len);
  void user_write(hw::LAddr a, const void* src, uint64_t n);
  void user_read(hw::LAddr a, void* dst, uint64_t n);

  // The ioctl with its argument struct copied into user memory and back.
  template <typename Arg>
  long ioctl(int fd, unsigned int cmd, Arg& arg) {
    const hw::LAddr a = user_alloc(sizeof(Arg));
    user_write(a, &arg, sizeof(Arg));
    const long ret = p_->ioctl(fd, cmd, a);
    user_read(a, &arg, sizeof(Arg));
    return ret;
  }

  // `v` copied into fresh user memory (its address), e.g. an ioctl argument prepared
  // before a signal is sent: every system call, the mmap of user_alloc included, delivers
  // a pending signal on its way out.
  template <typename T>
  hw::LAddr user_copy(const T& v) {
    const hw::LAddr a = user_alloc(sizeof(T));
    user_write(a, &v, sizeof(T));
    return a;
  }

  // A SECS for `spec` (size rounded up as build_enclave does).
  uapi::Secs secs_for(const EnclaveSpec& spec) const;
  // The bytes build_enclave puts in REG page `i`.
  static std::vector<uint8_t> page_bytes(const EnclaveSpec& spec, uint64_t i);
  // A TCS page for the enclave: one SSA frame at page 1, entry at page 1.
  static std::vector<uint8_t> tcs_bytes();

  // Opens /dev/sgx_enclave, CREATEs, ADDs the TCS and the REG pages (measured), signs
  // and INITs, then maps the whole range RW shared. Returns the fd; asserts each step.
  int build_enclave(const EnclaveSpec& spec);
  // The SIGSTRUCT that INIT of an enclave built as `spec` accepts.
  uapi::SigStruct sigstruct_for(const EnclaveSpec& spec) const;

  // Steps ksgxd while free pages are below the low watermark (the manual-mode answer to
  // a wake-up).
  void reclaim_if_low();

  // The process's descriptor of a debug enclave's memory, read and written as a
  // debugger does (PTRACE_PEEKDATA/POKEDATA through the VMA's access hook).
  int peek(hw::LAddr a, void* out, int len) { return p_->access_process_vm(a, out, len, false); }
  int poke(hw::LAddr a, const void* in, int len) {
    return p_->access_process_vm(a, const_cast<void*>(in), len, true);
  }

  // --- The build one step at a time, for the per-ioctl tests: each returns what the
  // system call returned and asserts nothing. ---
  static uint64_t size_of(const EnclaveSpec& spec);
  // The enclave behind an open /dev/sgx_enclave descriptor (its file's private_data).
  driver::Encl& encl_of(int fd);
  int open_enclave() { return p_->open("sgx_enclave"); }
  // CREATE with secs_for(spec), or with `secs` as given.
  long create(int fd, const EnclaveSpec& spec) { return create_secs(fd, secs_for(spec)); }
  long create_secs(int fd, const uapi::Secs& secs);
  // A SECINFO with `flags` (and `reserved` bytes) in user memory.
  hw::LAddr user_secinfo(uint64_t flags);
  // `bytes` (a whole number of pages) in fresh user memory.
  hw::LAddr user_pages(const std::vector<uint8_t>& bytes);
  // ADD_PAGES of `contents` (n pages) at `offset` with SECINFO.FLAGS `secinfo_flags`;
  // `count` (if given) receives the count the driver copied back.
  long add_pages(int fd, uint64_t offset, const std::vector<uint8_t>& contents,
                 uint64_t secinfo_flags, uint64_t flags = uapi::kPageMeasure,
                 uint64_t* count = nullptr);
  // The measured TCS at offset 0, as build_enclave adds it.
  long add_tcs(int fd, uint64_t* count = nullptr);
  // REG RW measured pages first .. first+n-1 of `spec` (page i at offset (1+i) pages).
  long add_reg(int fd, const EnclaveSpec& spec, uint64_t first, uint64_t n,
               uint64_t* count = nullptr);
  static std::vector<uint8_t> reg_bytes(const EnclaveSpec& spec, uint64_t first, uint64_t n);
  long init(int fd, const uapi::SigStruct& sig);
  // INIT with sigstruct_for(spec).
  long init(int fd, const EnclaveSpec& spec) { return init(fd, sigstruct_for(spec)); }
  // The whole ELRANGE, MAP_SHARED|MAP_FIXED with `prot`: the address or -errno.
  long map(int fd, const EnclaveSpec& spec, uint64_t prot);
  // The SIGSTRUCT INIT accepts when the TCS came first and then the REG pages of `spec`
  // in `order` (indices), each measured.
  uapi::SigStruct sigstruct_for_order(const EnclaveSpec& spec,
                                      const std::vector<uint64_t>& order) const;
  // sigstruct_for(spec) with the author's choices edited before signing.
  uapi::SigStruct sigstruct_with(const EnclaveSpec& spec,
                                 const std::function<void(sign::SigStructParams&)>& edit) const;
  // The running (or final) MRENCLAVE in the enclave's SECS, read from the emulator; the
  // SECS must be resident.
  std::array<uint8_t, 32> mrenclave_of(int fd);
  // How many VMAs the process has.
  size_t vma_count();
  // The rest of a build, checked step by step: the TCS (if `with_tcs`), REG pages
  // `first_reg` .. reg_pages-1, INIT with sigstruct_for_order(spec, order) where `order`
  // is the REG pages already added (in their order) followed by the new ones, the SECS's
  // MRENCLAVE compared with the SIGSTRUCT's, the ELRANGE mapped RW and, for a debug
  // enclave, every REG page read back through EDBGRD.
  void finish_build(int fd, const EnclaveSpec& spec, bool with_tcs = true,
                    std::vector<uint64_t> order = {});

 private:
  uapi::SigStruct signed_for(const EnclaveSpec& spec, const std::vector<uint64_t>& order,
                             const std::function<void(sign::SigStructParams&)>& edit) const;

  std::unique_ptr<hw::Machine> m_;
  std::unique_ptr<kernel::Kernel> k_;
  std::unique_ptr<kernel::Task> boot_;
  std::unique_ptr<kernel::TaskScope> boot_scope_;
  std::unique_ptr<driver::SgxDriver> d_;
  std::unique_ptr<kernel::Process> p_;
  std::unique_ptr<kernel::Task> task_;
  std::unique_ptr<kernel::TaskScope> scope_;
};

}  // namespace sgxref::testlib
