#include "scenarios/selftest_enclave.h"

#include <cerrno>
#include <cstddef>
#include <utility>
#include <vector>

#include "hw/cpu.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "testlib/test_signing_key.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/sgx_ioctl.h"
#include "user/test_encl.h"
#include "user/vsgx.h"

namespace sgxref::scenarios {

namespace {

const char* op_name(uint64_t type) {
  switch (type) {
    case user::kEnclOpPutToBuffer: return "PUT_TO_BUFFER";
    case user::kEnclOpGetFromBuffer: return "GET_FROM_BUFFER";
    case user::kEnclOpPutToAddress: return "PUT_TO_ADDRESS";
    case user::kEnclOpGetFromAddress: return "GET_FROM_ADDRESS";
    case user::kEnclOpNop: return "NOP";
    case user::kEnclOpEaccept: return "EACCEPT";
    case user::kEnclOpEmodpe: return "EMODPE";
    case user::kEnclOpInitTcsPage: return "INIT_TCS_PAGE";
    default: return "unknown";
  }
}

const char* leaf_name(uint32_t leaf) {
  switch (leaf) {
    case uapi::enclu::kEenter: return "EENTER";
    case uapi::enclu::kEresume: return "ERESUME";
    case uapi::enclu::kEexit: return "EEXIT";
    default: return "?";
  }
}

// Values a caller of the vDSO holds in its callee-saved registers, so that whether the
// enclave's clobbering reached the caller can be seen.
constexpr uint64_t kCallerRbx = 0xC0FFEE0000000b00ull;
constexpr uint64_t kCallerRbp = 0xC0FFEE0000000b01ull;
constexpr uint64_t kCallerR12 = 0xC0FFEE0000000c12ull;

bool callee_saved_equal(const hw::Registers& a, const hw::Registers& b) {
  return a.rbx == b.rbx && a.rbp == b.rbp && a.rsp == b.rsp && a.r12 == b.r12 &&
         a.r13 == b.r13 && a.r14 == b.r14 && a.r15 == b.r15;
}

// The errno values the SGX2 ioctls give, by name as the selftests' logs read.
std::string errno_text(int err) {
  switch (err) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENOTTY: return "ENOTTY";
    default: return std::to_string(err);
  }
}

std::string prot_text(uint64_t prot) {
  std::string p;
  for (const auto& [bit, name] : {std::pair{kernel::PROT_READ, "PROT_READ"},
                                  std::pair{kernel::PROT_WRITE, "PROT_WRITE"},
                                  std::pair{kernel::PROT_EXEC, "PROT_EXEC"}}) {
    if (prot & bit) p += p.empty() ? name : std::string("|") + name;
  }
  return p.empty() ? "PROT_NONE" : p;
}

std::string page_type_text(uint64_t t) {
  return t <= uint64_t(uapi::PageType::kTrim) ? uapi::to_string(uapi::PageType(t))
                                              : std::to_string(t);
}

}  // namespace

SelftestEnclave::SelftestEnclave(ScenarioMachine& sm, Recorder& rec, ScenarioResult& r)
    : sm_(sm), rec_(rec), r_(r) {}

user::EnclaveImage selftest_image(uint64_t heap_pages) {
  namespace sf = uapi::secinfo_flag;
  user::EnclaveImage image = user::test_encl::image();
  // encl_load's heap: after the last segment, REG RW, added without EEXTEND.
  const user::Segment& last = image.segments.back();
  image.segments.push_back(user::Segment{last.offset + last.length(),
                                         std::vector<uint8_t>(heap_pages * hw::kPageSize),
                                         sf::type(uapi::PageType::kReg) | sf::kR | sf::kW,
                                         kernel::PROT_READ | kernel::PROT_WRITE, false});
  return image;
}

bool SelftestEnclave::setup(uint64_t heap_pages) {
  const user::EnclaveImage image = selftest_image(heap_pages);
  r_.heap_pages = heap_pages;
  segments_.clear();
  for (const user::Segment& seg : image.segments) {
    segments_.push_back(SegmentInfo{seg.offset, seg.length(), seg.prot});
  }
  rec_.line("setup_test_encl: the test enclave with a heap of " + std::to_string(heap_pages) +
            " page(s), ELRANGE " + hex(user::enclave_size(image)) + " bytes");
  const long ret = user::load_enclave(sm_.process(), image, testlib::test_signing_key(), e_);
  r_.load_ret = ret;
  r_.base = e_.base;
  r_.size = e_.size;
  rec_.line("  load_enclave = " + std::to_string(ret) + (ret == 0 ? ", base " + hex(e_.base) : ""));
  if (!rec_.expect_eq("load_enclave's return", uint64_t(ret), 0)) return false;
  const hw::Counters c = sm_.counters();
  rec_.line("  EPC after the build: " + std::to_string(sm_.sgx().nr_free_pages()) + " of " +
            std::to_string(sm_.sgx().total_pages()) + " pages free, " +
            std::to_string(c.evictions) + " evictions (EWB), " + std::to_string(c.reloads) +
            " reloads (ELDU), ksgxd woken " + std::to_string(sm_.sgx().ksgxd_wakeups()) +
            " time(s)");

  const long op = sm_.process().mmap(0, hw::kPageSize, kernel::PROT_READ | kernel::PROT_WRITE,
                                     kernel::MAP_PRIVATE | kernel::MAP_ANONYMOUS, -1, 0);
  if (!rec_.expect_true("an anonymous page for the operations", op > 0)) return false;
  op_ = hw::LAddr(op);
  run_ = uapi::EnclaveRun{};
  run_.tcs = e_.base;
  return true;
}

uint64_t SelftestEnclave::tcs_offset() const {
  const uint64_t rw = kernel::PROT_READ | kernel::PROT_WRITE;
  return !segments_.empty() && segments_[0].prot == rw ? segments_[0].offset : ~0ull;
}

uint64_t SelftestEnclave::data_offset() const {
  for (size_t i = 1; i < segments_.size(); ++i) {
    if (segments_[i].prot == (kernel::PROT_READ | kernel::PROT_WRITE)) return segments_[i].offset;
  }
  return ~0ull;
}

uint64_t SelftestEnclave::total_size() const {
  uint64_t total = 0;
  for (const SegmentInfo& seg : segments_) total += seg.size;
  return total;
}

int SelftestEnclave::enter_raw(uint32_t leaf, bool clobbered, bool& callee_saved_kept) {
  // One CPU for the whole call, the vDSO's nested hold included, so the registers the
  // caller set are the ones the vDSO starts from and the enclave leaves.
  kernel::CpuHold hold;
  hw::Cpu& cpu = kernel::this_cpu();
  hw::Registers caller = cpu.regs();
  caller.rbx = kCallerRbx;
  caller.rbp = kCallerRbp;
  caller.r12 = kCallerR12;
  caller.r13 = kCallerR12 + 1;
  caller.r14 = kCallerR12 + 2;
  caller.r15 = kCallerR12 + 3;
  cpu.set_regs(caller);
  const int ret = user::vdso_sgx_enter_enclave(op_, 0, 0, leaf, 0, 0, &run_);
  if (!clobbered) {
    // call.S's sgx_enter_enclave pushes these before calling the vDSO and pops them
    // after: the enclave is free to clobber them.
    hw::Registers after = cpu.regs();
    after.rbx = caller.rbx;
    after.rbp = caller.rbp;
    after.rsp = caller.rsp;
    after.r12 = caller.r12;
    after.r13 = caller.r13;
    after.r14 = caller.r14;
    after.r15 = caller.r15;
    cpu.set_regs(after);
  }
  callee_saved_kept = callee_saved_equal(caller, cpu.regs());
  return ret;
}

EnclaveCall SelftestEnclave::enter(const std::string& step, const void* op, uint64_t len,
                                   uint32_t leaf, bool clobbered) {
  {
    kernel::CpuHold hold;
    if (op != nullptr && kernel::copy_to_user(op_, op, len) != 0) {
      rec_.expect_true("the operation written to user memory", false);
    }
  }
  uint64_t type = 0;
  uint64_t value_in = 0;
  {
    kernel::CpuHold hold;
    kernel::copy_from_user(&type, op_, sizeof type);
    kernel::copy_from_user(&value_in, op_ + 8, sizeof value_in);
  }

  const hw::Counters before = sm_.counters();
  if (const int batches = sm_.reclaim_if_low(); batches > 0) {
    r_.ksgxd_batches += uint64_t(batches);
    if (verbose_) rec_.line("  ksgxd (manual mode, free pages below the low watermark): " +
              std::to_string(batches) + " reclaim batch(es), free pages now " +
              std::to_string(sm_.sgx().nr_free_pages()));
  }

  EnclaveCall c;
  c.step = step;
  c.leaf = leaf;
  c.tcs = run_.tcs;
  c.ret = enter_raw(leaf, clobbered, c.callee_saved_kept);
  c.function = run_.function;
  c.exception_vector = run_.exception_vector;
  c.exception_error_code = run_.exception_error_code;
  c.exception_addr = run_.exception_addr;
  c.user_data = run_.user_data;
  {
    kernel::CpuHold hold;
    kernel::copy_from_user(&c.value, op_ + 8, sizeof c.value);
    if (type == user::kEnclOpEaccept) {
      kernel::copy_from_user(&c.eaccept_ret, op_ + offsetof(user::EnclOpEaccept, ret),
                             sizeof c.eaccept_ret);
    }
  }
  const hw::Counters after = sm_.counters();
  c.evictions = after.evictions - before.evictions;
  c.reloads = after.reloads - before.reloads;

  if (!verbose_) {
    r_.calls.push_back(c);
    return c;
  }
  std::string head = "  [" + std::to_string(r_.calls.size() + 1) + "] " + step + ": " +
                     leaf_name(leaf) + " tcs base+" + hex(run_.tcs - e_.base) + ", op " +
                     op_name(type);
  if (type != user::kEnclOpNop) head += " value " + hex(value_in);
  head += clobbered ? ", vDSO called directly" : ", through the register-saving wrapper";
  rec_.line(head);
  rec_.line("      ret " + std::to_string(c.ret) + ", run.function " + std::to_string(c.function) +
            " (" + leaf_name(c.function) + "), exception_vector " +
            std::to_string(c.exception_vector) + ", exception_error_code " +
            hex(c.exception_error_code) + ", exception_addr " + hex(c.exception_addr) +
            ", user_data " + hex(c.user_data) + "; op.value " + hex(c.value) +
            (type == user::kEnclOpEaccept ? ", op.ret " + hex(c.eaccept_ret) : ""));
  rec_.line("      EPC since the previous step (ksgxd's batches above included): " +
            std::to_string(c.evictions) + " evictions (EWB), " +
            std::to_string(c.reloads) + " reloads (ELDU); caller's callee-saved registers " +
            (c.callee_saved_kept ? "kept" : "clobbered by the enclave"));
  r_.calls.push_back(c);
  return c;
}

EnclaveCall SelftestEnclave::resume(const std::string& step) {
  return enter(step, nullptr, 0, uapi::enclu::kEresume, true);
}

long SelftestEnclave::mprotect(hw::LAddr addr, uint64_t len, uint64_t prot) {
  const long ret = sm_.process().mprotect(addr, len, prot);
  std::string p;
  p += (prot & kernel::PROT_READ) ? "PROT_READ" : "";
  if (prot & kernel::PROT_WRITE) p += p.empty() ? "PROT_WRITE" : "|PROT_WRITE";
  const std::string what = "mprotect(" + hex(addr) + ", " + hex(len) + ", " + p + ")";
  rec_.line("  " + what + " = " + std::to_string(ret));
  r_.syscalls.push_back(SysCall{what, ret});
  return ret;
}

long SelftestEnclave::mmap(hw::LAddr addr, uint64_t len, uint64_t prot) {
  const long ret = sm_.process().mmap(addr, len, prot, kernel::MAP_SHARED | kernel::MAP_FIXED,
                                      e_.fd, 0);
  const std::string what = "mmap(" + hex(addr) + ", " + hex(len) + ", " + prot_text(prot) +
                           ", MAP_SHARED|MAP_FIXED, " + std::to_string(e_.fd) + ", 0)";
  rec_.line("  " + what + " = " + (ret < 0 ? std::to_string(ret) : hex(uint64_t(ret))));
  r_.syscalls.push_back(SysCall{what, ret});
  return ret;
}

long SelftestEnclave::munmap(hw::LAddr addr, uint64_t len) {
  const long ret = sm_.process().munmap(addr, len);
  const std::string what = "munmap(" + hex(addr) + ", " + hex(len) + ")";
  rec_.line("  " + what + " = " + std::to_string(ret));
  r_.syscalls.push_back(SysCall{what, ret});
  return ret;
}

long SelftestEnclave::sgx2_ioctl(uint32_t cmd, const void* in, void* out, uint64_t len) {
  const hw::LAddr arg = op_ + kArgOffset;
  {
    kernel::CpuHold hold;
    if (kernel::copy_to_user(arg, in, len) != 0) {
      rec_.expect_true("the ioctl's argument written to user memory", false);
    }
  }
  const long ret = sm_.process().ioctl(e_.fd, cmd, arg);
  kernel::CpuHold hold;
  if (kernel::copy_from_user(out, arg, len) != 0) {
    rec_.expect_true("the ioctl's argument read back from user memory", false);
  }
  return ret;
}

IoctlCall SelftestEnclave::record(const std::string& step, const std::string& what,
                                  long driver_ret, uint64_t result, uint64_t count,
                                  bool has_result) {
  IoctlCall c;
  c.step = step;
  c.what = what;
  // The system call's way out: a negative return becomes -1 with errno set.
  c.ret = driver_ret < 0 ? -1 : driver_ret;
  c.err = driver_ret < 0 ? int(-driver_ret) : 0;
  c.result = result;
  c.count = count;
  std::string line = "      user space: ret " + std::to_string(c.ret) + ", errno " +
                     errno_text(c.err);
  if (has_result) line += ", result " + hex(result);
  line += ", count " + hex(count);
  rec_.line(line);
  r_.ioctls.push_back(c);
  return c;
}

IoctlCall SelftestEnclave::restrict_permissions(const std::string& step, uint64_t offset,
                                                uint64_t length, uint64_t permissions) {
  const std::string what = "SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS {offset " + hex(offset) +
                           ", length " + hex(length) + ", permissions " + hex(permissions) + "}";
  rec_.line("  " + step + ": " + what);
  uapi::EnclaveRestrictPermissions a{};
  a.offset = offset;
  a.length = length;
  a.permissions = permissions;
  const long ret = sgx2_ioctl(uapi::ioctl::kEnclaveRestrictPermissions, &a, &a, sizeof a);
  return record(step, what, ret, a.result, a.count, true);
}

IoctlCall SelftestEnclave::modify_types(const std::string& step, uint64_t offset,
                                        uint64_t length, uint64_t page_type) {
  const std::string what = "SGX_IOC_ENCLAVE_MODIFY_TYPES {offset " + hex(offset) + ", length " +
                           hex(length) + ", page_type " + page_type_text(page_type) + "}";
  rec_.line("  " + step + ": " + what);
  uapi::EnclaveModifyTypes a{};
  a.offset = offset;
  a.length = length;
  a.page_type = page_type;
  const long ret = sgx2_ioctl(uapi::ioctl::kEnclaveModifyTypes, &a, &a, sizeof a);
  return record(step, what, ret, a.result, a.count, true);
}

IoctlCall SelftestEnclave::remove_pages(const std::string& step, uint64_t offset,
                                        uint64_t length) {
  const std::string what = "SGX_IOC_ENCLAVE_REMOVE_PAGES {offset " + hex(offset) + ", length " +
                           hex(length) + "}";
  rec_.line("  " + step + ": " + what);
  uapi::EnclaveRemovePages a{};
  a.offset = offset;
  a.length = length;
  const long ret = sgx2_ioctl(uapi::ioctl::kEnclaveRemovePages, &a, &a, sizeof a);
  return record(step, what, ret, 0, a.count, false);
}

void SelftestEnclave::teardown() {
  kernel::Process& p = sm_.process();
  rec_.line("encl_delete:");
  if (e_.base != 0) {
    const long ret = p.munmap(e_.base, e_.size);
    const std::string what = "munmap(" + hex(e_.base) + ", " + hex(e_.size) + ")";
    rec_.line("  " + what + " = " + std::to_string(ret));
    r_.syscalls.push_back(SysCall{what, ret});
  }
  if (e_.fd >= 0) {
    const long ret = p.close(e_.fd);
    const std::string what = "close(" + std::to_string(e_.fd) + ")";
    rec_.line("  " + what + " = " + std::to_string(ret));
    r_.syscalls.push_back(SysCall{what, ret});
  }
  e_ = user::LoadedEnclave{};
  if (op_ != 0) p.munmap(op_, hw::kPageSize);
  op_ = 0;

  driver::Sgx& sgx = sm_.sgx();
  const hw::Counters c = sm_.counters();
  r_.evictions = c.evictions;
  r_.reloads = c.reloads;
  r_.mac_failures = c.mac_failures;
  r_.free_pages_after_close = sgx.nr_free_pages();
  r_.total_pages = sgx.total_pages();
  r_.epcm_valid_after_close = sm_.epcm_valid();
  r_.warnings = sgx.warnings();
  r_.warning_counts = sgx.warning_counts();
  rec_.line("after close: EPC " + std::to_string(r_.free_pages_after_close) + " of " +
            std::to_string(r_.total_pages) + " pages free, " +
            std::to_string(r_.epcm_valid_after_close) + " EPCM entries valid; " +
            std::to_string(c.evictions) + " evictions and " + std::to_string(c.reloads) +
            " reloads in all, " + std::to_string(c.mac_failures) + " MAC failures; " +
            std::to_string(r_.warnings) + " driver WARN(s)");
  for (const auto& [what, n] : r_.warning_counts) {
    rec_.line("  WARN x" + std::to_string(n) + ": " + what);
  }
  rec_.expect_eq("free EPC pages after close", r_.free_pages_after_close, r_.total_pages);
  rec_.expect_eq("valid EPCM entries after close", r_.epcm_valid_after_close, 0);
  rec_.expect_eq("MAC failures", r_.mac_failures, 0);
  rec_.expect_eq("sgx().warnings()", r_.warnings, 0);
}

}  // namespace sgxref::scenarios
