#include "scenarios/selftest_enclave.h"

#include <cerrno>
#include <vector>

#include "hw/cpu.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "testlib/test_signing_key.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
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

}  // namespace

SelftestEnclave::SelftestEnclave(ScenarioMachine& sm, Recorder& rec, ScenarioResult& r)
    : sm_(sm), rec_(rec), r_(r) {}

bool SelftestEnclave::setup(uint64_t heap_pages) {
  namespace sf = uapi::secinfo_flag;
  user::EnclaveImage image = user::test_encl::image();
  // encl_load's heap: after the last segment, REG RW, added without EEXTEND.
  const user::Segment& last = image.segments.back();
  image.segments.push_back(user::Segment{last.offset + last.length(),
                                         std::vector<uint8_t>(heap_pages * hw::kPageSize),
                                         sf::type(uapi::PageType::kReg) | sf::kR | sf::kW,
                                         kernel::PROT_READ | kernel::PROT_WRITE, false});
  r_.heap_pages = heap_pages;
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
    rec_.line("  ksgxd (manual mode, free pages below the low watermark): " +
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
  }
  const hw::Counters after = sm_.counters();
  c.evictions = after.evictions - before.evictions;
  c.reloads = after.reloads - before.reloads;

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
            ", user_data " + hex(c.user_data) + "; op.value " + hex(c.value));
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
