// The vDSO's enclave entry (user/vsgx.h) against Linux's contract (vsgx.S, uapi
// asm/sgx.h): argument checks, EEXIT, exceptions the kernel turns into signals,
// interrupts and resolved faults that stay inside the call, and the user handler.
#include <gtest/gtest.h>

#include <cerrno>

#include "uapi/sgx_code.h"
#include "user_fixture.h"

namespace sgxref::user {
namespace {

using test_encl::kTcs1;
using test_encl::kTcs2;

class Vdso : public UserFixture {
 protected:
  static constexpr uint64_t kDataPage2 = test_encl::kBuffer + hw::kPageSize;
};

TEST_F(Vdso, ReservedBytesNotZeroIsEinvalAndNothingIsEntered) {
  put(op_, EnclOpHeader{kEnclOpNop});
  run_.tcs = la(kTcs1);
  run_.reserved[215] = 1;
  EXPECT_EQ(vdso_sgx_enter_enclave(op_, 0, 0, uapi::enclu::kEenter, 0, 0, &run_), -EINVAL);
  EXPECT_EQ(counters().calls[int(hw::Leaf::kEenter)], 0u);
  EXPECT_EQ(run_.function, 0u);
}

TEST_F(Vdso, FunctionOtherThanEenterOrEresumeIsEinval) {
  put(op_, EnclOpHeader{kEnclOpNop});
  run_.tcs = la(kTcs1);
  for (unsigned f : {0u, 1u, 4u, 5u, 0x80000002u}) {
    EXPECT_EQ(vdso_sgx_enter_enclave(op_, 0, 0, f, 0, 0, &run_), -EINVAL) << f;
  }
  EXPECT_EQ(counters().calls[int(hw::Leaf::kEenter)], 0u);
}

TEST_F(Vdso, EexitReportsFunctionEexitAndLeavesExceptionFieldsAlone) {
  run_.exception_vector = 0x55;
  run_.exception_error_code = 0x66;
  run_.exception_addr = 0x77;
  EXPECT_EQ(call(EnclOpHeader{kEnclOpNop}), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(run_.exception_vector, 0x55);
  EXPECT_EQ(run_.exception_error_code, 0x66);
  EXPECT_EQ(run_.exception_addr, 0x77u);
}

TEST_F(Vdso, EpcmWriteFaultIsReportedWithTheSgxBitAndResumesOnceFixed) {
  // The selftests' restricted-permissions flow: EMODPR to read-only, accepted; a write
  // then faults on the EPCM, not the PTE; EMODPE through the other TCS makes the page
  // writable again, and ERESUME finishes the write.
  const hw::LAddr data = la(kDataPage2);
  ASSERT_EQ(restrict_permissions(kDataPage2, kR), hw::Result::ok());
  EXPECT_EQ(call(EnclOpEaccept{{kEnclOpEaccept}, data, kReg | kR | kPr, 99}), 0);
  EXPECT_EQ(result<EnclOpEaccept>().ret, 0u);

  EXPECT_EQ(call(EnclOpPutToAddr{{kEnclOpPutToAddress}, kMagic2, data}), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEresume);
  EXPECT_EQ(run_.exception_vector, 14);
  EXPECT_EQ(run_.exception_error_code, 0x8007);
  EXPECT_EQ(run_.exception_addr, data);
  run_.exception_vector = 0;
  run_.exception_error_code = 0;
  run_.exception_addr = 0;

  EXPECT_EQ(call(EnclOpEmodpe{{kEnclOpEmodpe}, data, kR | kW}, kTcs2), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);

  run_.tcs = la(kTcs1);
  EXPECT_EQ(resume(), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(run_.exception_vector, 0);
  EXPECT_EQ(call(EnclOpGetFromAddr{{kEnclOpGetFromAddress}, 0, data}), 0);
  EXPECT_EQ(result<EnclOpGetFromAddr>().value, kMagic2);
}

TEST_F(Vdso, PteWriteFaultIsReportedWithoutTheSgxBit) {
  // The selftests' pte_permissions: the PTE read-only, the EPCM still RW.
  const hw::LAddr data = la(kDataPage2);
  hw::Pte pte = pt().get(data);
  pte.writable = false;
  pt().set(data, pte);
  EXPECT_EQ(call(EnclOpPutToAddr{{kEnclOpPutToAddress}, kMagic2, data}), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEresume);
  EXPECT_EQ(run_.exception_vector, 14);
  EXPECT_EQ(run_.exception_error_code, 0x7);
  EXPECT_EQ(run_.exception_addr, data);

  pte.writable = true;
  pt().set(data, pte);
  EXPECT_EQ(resume(), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(call(EnclOpGetFromAddr{{kEnclOpGetFromAddress}, 0, data}), 0);
  EXPECT_EQ(result<EnclOpGetFromAddr>().value, kMagic2);
}

TEST_F(Vdso, FaultOnEenterItselfIsReportedAsEenter) {
  constexpr uint64_t kUnmapped = 0xA000;  // in ELRANGE, no page and no PTE
  EXPECT_EQ(call(EnclOpHeader{kEnclOpNop}, kUnmapped), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEenter);
  EXPECT_EQ(run_.exception_vector, 14);
  EXPECT_EQ(run_.exception_addr, la(kUnmapped));
  EXPECT_EQ(counters().aex, 0u);
}

TEST_F(Vdso, InterruptBetweenLoadAndStoreIsResumedUnseen) {
  EXPECT_EQ(call(EnclOpPutToBuf{{kEnclOpPutToBuffer}, kMagic}), 0);
  // GET_FROM_BUFFER loads the type, then the buffer into a register, then stores it:
  // the IPI lands before the store, with the value only in the saved registers.
  EXPECT_EQ(call_interrupted_at("enclave.store", EnclOpGetFromBuf{{kEnclOpGetFromBuffer}, 0}),
            0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(result<EnclOpGetFromBuf>().value, kMagic);
  EXPECT_EQ(counters().interrupts, 1u);
  EXPECT_EQ(counters().calls[int(hw::Leaf::kEresume)], 1u);
}

TEST_F(Vdso, InterruptAfterEacceptRetiresItOnce) {
  // The IPI lands after EACCEPT accepted the page and before its result was committed:
  // EACCEPT must not run again after ERESUME (it would find the page accepted).
  constexpr uint64_t kAug = test_encl::kImageEnd;
  ASSERT_EQ(eaug(kAug), hw::Result::ok());
  const EnclOpEaccept op{{kEnclOpEaccept}, la(kAug), kReg | kR | kW | kPending, 99};
  EXPECT_EQ(call_interrupted_at("eaccept.end", op), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(result<EnclOpEaccept>().ret, 0u);
  EXPECT_EQ(counters().interrupts, 1u);
  EXPECT_EQ(counters().calls[int(hw::Leaf::kEaccept)], 1u);
}

// A handler's record of the exits it saw, reached through run->user_data.
struct HandlerLog {
  int calls = 0;
  uint32_t function = 0;            // run->function at the last call
  long rdi = 0, rsi = 0, rdx = 0;   // at the last exception
  kernel::Process* process = nullptr;
  hw::LAddr fix = 0;  // made accessible by the handler on an exception
  int on_eexit = 0;   // what to return on EEXIT
};

int logging_handler(long rdi, long rsi, long rdx, long /*rsp*/, long /*r8*/, long /*r9*/,
                    uapi::EnclaveRun* run) {
  auto* log = reinterpret_cast<HandlerLog*>(run->user_data);
  ++log->calls;
  log->function = run->function;
  if (run->function == uapi::enclu::kEexit) return log->on_eexit;
  log->rdi = rdi;
  log->rsi = rsi;
  log->rdx = rdx;
  // Fix the cause and resume, as a runtime's exception handler might.
  log->process->mprotect(log->fix, hw::kPageSize, kernel::PROT_READ | kernel::PROT_WRITE);
  return int(uapi::enclu::kEresume);
}

int clearing_handler(long, long, long, long, long, long, uapi::EnclaveRun* run) {
  run->user_data = 0;
  return 0;
}

TEST_F(Vdso, UserHandlerRunsOnEexitAndItsZeroIsReturned) {
  // The selftests' clobbered_vdso_and_user_function.
  run_.user_handler = reinterpret_cast<uint64_t>(&clearing_handler);
  run_.user_data = 0xdeadbeef;
  EXPECT_EQ(call(EnclOpPutToBuf{{kEnclOpPutToBuffer}, kMagic}), 0);
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(run_.user_data, 0u);
  run_.user_handler = 0;
  EXPECT_EQ(buffer_value(), kMagic);
}

TEST_F(Vdso, UserHandlerGetsTheExceptionInRdiRsiRdxAndItsLeafRunsNext) {
  // A user page the process may not read: the kernel answers the enclave's #PF with
  // SIGSEGV, the handler makes the page readable and asks for ERESUME.
  const hw::LAddr page = user_mem(hw::kPageSize, /*prot=*/0);
  HandlerLog log{.process = &process(), .fix = page};
  run_.user_handler = reinterpret_cast<uint64_t>(&logging_handler);
  run_.user_data = reinterpret_cast<uint64_t>(&log);
  EXPECT_EQ(call(EnclOpGetFromAddr{{kEnclOpGetFromAddress}, kMagic, page}), 0);
  EXPECT_EQ(log.calls, 2);  // the exception, then EEXIT
  EXPECT_EQ(log.rdi, 14);
  EXPECT_EQ(log.rsi, 0x4);  // a user read of a page not present
  EXPECT_EQ(log.rdx, long(page));
  EXPECT_EQ(run_.function, uapi::enclu::kEexit);
  EXPECT_EQ(run_.exception_vector, 14);
  EXPECT_EQ(run_.exception_error_code, 0x4);
  EXPECT_EQ(run_.exception_addr, page);
  EXPECT_EQ(result<EnclOpGetFromAddr>().value, 0u);
}

TEST_F(Vdso, NegativeHandlerResultIsReturned) {
  HandlerLog log{.on_eexit = -EFAULT};
  run_.user_handler = reinterpret_cast<uint64_t>(&logging_handler);
  run_.user_data = reinterpret_cast<uint64_t>(&log);
  EXPECT_EQ(call(EnclOpHeader{kEnclOpNop}), -EFAULT);
  EXPECT_EQ(log.calls, 1);
}

TEST_F(Vdso, HandlerAskingForAnotherLeafThanEenterOrEresumeIsEinval) {
  HandlerLog log{.on_eexit = int(uapi::enclu::kEexit)};
  run_.user_handler = reinterpret_cast<uint64_t>(&logging_handler);
  run_.user_data = reinterpret_cast<uint64_t>(&log);
  EXPECT_EQ(call(EnclOpHeader{kEnclOpNop}), -EINVAL);
  EXPECT_EQ(log.calls, 1);
}

}  // namespace
}  // namespace sgxref::user
