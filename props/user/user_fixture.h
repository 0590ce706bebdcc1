// File: a gtest fixture for user-space tests: a machine, its kernel, one process whose
// main task the test thread plays, and the selftests' test enclave (user/test_encl.h)
// built straight with leaves on the kernel's CPU and mapped into the process's page
// table, as the driver would have built and mapped it (there are no enclave VMAs, so a
// fault in ELRANGE the hardware cannot resolve is a signal), then EINIT-ed with the
// SIGSTRUCT user space signs for the image. Header-only: it uses the committed signing
// key, which only test binaries find.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "hw/cpu.h"
#include "hw/crypto/sha256.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "kernel/kernel.h"
#include "kernel/process.h"
#include "kernel/run_queue.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "testlib/enclave_builder.h"
#include "testlib/kernel_memory.h"
#include "testlib/pause_at.h"
#include "testlib/sgx2_ops.h"
#include "testlib/test_signing_key.h"
#include "uapi/enclave_run.h"
#include "uapi/secinfo.h"
#include "user/image_sigstruct.h"
#include "user/test_encl.h"
#include "user/test_encl_ops.h"
#include "user/vsgx.h"

namespace sgxref::user {

class UserFixture : public ::testing::Test {
 protected:
  static constexpr uint64_t kBase = 0x4000'0000;
  static constexpr uint32_t kSecsSlot = 0;
  static constexpr uint32_t kKernelCpu = 3;  // where the driver's side issues ENCLS
  static constexpr uint64_t kMagic = 0x0123'4567'89ab'cdef;
  static constexpr uint64_t kMagic2 = 0x0fed'cba9'8765'4321;

  static constexpr uint64_t kReg = uapi::secinfo_flag::type(uapi::PageType::kReg);
  static constexpr uint64_t kTcsType = uapi::secinfo_flag::type(uapi::PageType::kTcs);
  static constexpr uint64_t kR = uapi::secinfo_flag::kR;
  static constexpr uint64_t kW = uapi::secinfo_flag::kW;
  static constexpr uint64_t kPending = uapi::secinfo_flag::kPending;
  static constexpr uint64_t kModified = uapi::secinfo_flag::kModified;
  static constexpr uint64_t kPr = uapi::secinfo_flag::kPr;

  void SetUp() override {
    hw::Config c;
    c.epc_pages = 32;
    c.ram_pages = 512;
    m_ = std::make_unique<hw::Machine>(c);
    k_ = std::make_unique<kernel::Kernel>(*m_);
    p_ = std::make_unique<kernel::Process>(*k_);
    main_ = std::make_unique<kernel::Task>(*p_, "main");
    scope_.emplace(*main_);
    ASSERT_EQ(build_enclave(test_encl::image(), kBase, kSecsSlot), hw::Result::ok());
    op_ = user_mem(hw::kPageSize);
    run_ = uapi::EnclaveRun{};
  }

  // Builds and initializes `image` at `base` with its SECS in EPC slot `secs_slot` and
  // each page in slot secs_slot + 1 + offset / 4 KiB, mapping every page with its
  // segment's protections.
  hw::Result build_enclave(const EnclaveImage& image, uint64_t base, uint32_t secs_slot) {
    testlib::EnclaveBuilder b(*m_, secs_slot, kKernelCpu);
    if (hw::Result r = b.create(make_secs(image, base)); !r.succeeded()) return r;
    for (const Segment& s : image.segments) {
      for (uint64_t at = 0; at < s.length(); at += hw::kPageSize) {
        const uint64_t offset = s.offset + at;
        const uint32_t slot = secs_slot + 1 + uint32_t(offset / hw::kPageSize);
        const hw::Result r = s.measure
                                 ? b.add_measured(slot, base + offset, s.bytes.data() + at,
                                                  s.secinfo_flags)
                                 : b.add(slot, base + offset, s.bytes.data() + at, s.secinfo_flags);
        if (!r.succeeded()) return r;
        pt().set(base + offset, hw::Pte{.present = true,
                                        .writable = (s.prot & kernel::PROT_WRITE) != 0,
                                        .nx = (s.prot & kernel::PROT_EXEC) == 0,
                                        .pa = m_->epc_addr(slot)});
      }
    }
    const uapi::SigStruct sig = sign_enclave_image(image, testlib::test_signing_key());
    const sign::Rsa3072Le n = testlib::test_signing_key().modulus();
    hw::Cpu& kc = m_->cpu(kKernelCpu);
    kc.write_lepubkeyhash(hw::Sha256::of(n.data(), n.size()));
    testlib::KernelMemory mem(*m_);
    return kc.einit(mem.put(sig), m_->epc_addr(secs_slot), mem.put(uapi::EinitToken{}, 512));
  }

  hw::Machine& m() { return *m_; }
  kernel::Process& process() { return *p_; }
  hw::PageTable& pt() { return p_->mm().page_table(); }
  hw::LAddr la(uint64_t offset) const { return kBase + offset; }
  uint32_t slot(uint64_t offset) const { return kSecsSlot + 1 + uint32_t(offset / hw::kPageSize); }
  hw::Counters counters() const { return hw::Inspector(*m_).counters(); }
  testlib::Sgx2Ops ops() { return testlib::Sgx2Ops(*m_, kKernelCpu); }

  // The driver's part of SGX2 page changes: EAUG of the page at `offset` mapped RW;
  // EMODPR / EMODT followed by ETRACK, as the ioctls do.
  hw::Result eaug(uint64_t offset) {
    const hw::Result r = ops().eaug(kSecsSlot, slot(offset), la(offset));
    if (r.succeeded()) {
      pt().set(la(offset), hw::Pte{.present = true, .writable = true, .nx = true,
                                   .pa = m_->epc_addr(slot(offset))});
    }
    return r;
  }
  hw::Result restrict_permissions(uint64_t offset, uint64_t perms) {
    if (hw::Result r = ops().emodpr(slot(offset), perms); !r.succeeded()) return r;
    return m_->cpu(kKernelCpu).etrack(m_->epc_addr(kSecsSlot));
  }
  hw::Result modify_type(uint64_t offset, uint64_t type_flags) {
    if (hw::Result r = ops().emodt(slot(offset), type_flags); !r.succeeded()) return r;
    return m_->cpu(kKernelCpu).etrack(m_->epc_addr(kSecsSlot));
  }

  // Anonymous memory of the process, no page present yet.
  hw::LAddr user_mem(uint64_t len, uint64_t prot = kernel::PROT_READ | kernel::PROT_WRITE) {
    const long at = p_->mmap(0, len, prot, kernel::MAP_PRIVATE | kernel::MAP_ANONYMOUS, -1, 0);
    EXPECT_GT(at, 0);
    return hw::LAddr(at);
  }
  template <typename T>
  void put(hw::LAddr a, const T& v) {
    kernel::CpuHold cpu;
    ASSERT_EQ(kernel::copy_to_user(a, &v, sizeof v), 0u);
  }
  template <typename T>
  T get(hw::LAddr a) {
    kernel::CpuHold cpu;
    T v{};
    EXPECT_EQ(kernel::copy_from_user(&v, a, sizeof v), 0u);
    return v;
  }

  // The selftests' ENCL_CALL through the vDSO: the operation in user memory (op_), then
  // EENTER through the TCS at `tcs`.
  template <typename Op>
  int call(const Op& op, uint64_t tcs = test_encl::kTcs1) {
    put(op_, op);
    run_.tcs = la(tcs);
    return vdso_sgx_enter_enclave(op_, 0, 0, uapi::enclu::kEenter, 0, 0, &run_);
  }
  // ERESUME through run_.tcs after the caller saw an exception.
  int resume() { return vdso_sgx_enter_enclave(op_, 0, 0, uapi::enclu::kEresume, 0, 0, &run_); }
  // The operation as the enclave left it.
  template <typename Op>
  Op result() {
    return get<Op>(op_);
  }

  // As call(), on a thread of its own playing a second task of the process, parked at
  // scheduling point `point` while every CPU gets an IPI (only the one in enclave mode
  // leaves it).
  template <typename Op>
  int call_interrupted_at(const char* point, const Op& op, uint64_t tcs = test_encl::kTcs1) {
    put(op_, op);
    run_.tcs = la(tcs);
    kernel::Task worker(*p_, "enclave");
    return testlib::overlap(
        point,
        [&] {
          kernel::TaskScope s(worker);
          return vdso_sgx_enter_enclave(op_, 0, 0, uapi::enclu::kEenter, 0, 0, &run_);
        },
        [&] {
          for (uint32_t i = 0; i < m_->cpu_count(); ++i) m_->ipi(i);
        });
  }

  // encl_buffer's first 8 bytes, by ENCL_OP_GET_FROM_BUFFER.
  uint64_t buffer_value() {
    EXPECT_EQ(call(EnclOpGetFromBuf{{kEnclOpGetFromBuffer}, 0}), 0);
    EXPECT_EQ(run_.function, uapi::enclu::kEexit);
    return result<EnclOpGetFromBuf>().value;
  }

  std::unique_ptr<hw::Machine> m_;
  std::unique_ptr<kernel::Kernel> k_;
  std::unique_ptr<kernel::Process> p_;
  std::unique_ptr<kernel::Task> main_;
  std::optional<kernel::TaskScope> scope_;
  hw::LAddr op_ = 0;
  uapi::EnclaveRun run_{};
};

}  // namespace sgxref::user
