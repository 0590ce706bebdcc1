#include "scenarios/sgx1_selftests.h"

#include "kernel/vm_flags.h"
#include "scenarios/selftest_enclave.h"
#include "scenarios/selftest_run.h"
#include "user/test_encl.h"
#include "user/test_encl_ops.h"

namespace sgxref::scenarios {

namespace {

using user::EnclOpGetFromAddr;
using user::EnclOpGetFromBuf;
using user::EnclOpHeader;
using user::EnclOpPutToAddr;
using user::EnclOpPutToBuf;

// unclobbered_vdso, its oversubscribed twin and clobbered_vdso: MAGIC into encl_buffer
// and back, user_data left at 0.
void put_and_get_magic(SelftestEnclave& encl, Recorder& rec, bool clobbered) {
  const EnclaveCall put = encl.call("put MAGIC into encl_buffer",
                                    EnclOpPutToBuf{{user::kEnclOpPutToBuffer}, kMagic}, clobbered);
  expect_clean_eexit(rec, put);
  rec.expect_eq("run.user_data", put.user_data, 0, true);
  const EnclaveCall get = encl.call("get encl_buffer",
                                    EnclOpGetFromBuf{{user::kEnclOpGetFromBuffer}, 0}, clobbered);
  expect_clean_eexit(rec, get);
  rec.expect_eq("get_op.value", get.value, kMagic, true);
  rec.expect_eq("run.user_data", get.user_data, 0, true);
  if (!clobbered) {
    rec.expect_true("the wrapper kept the caller's callee-saved registers",
                    put.callee_saved_kept && get.callee_saved_kept);
  }
}

// main.c's test_handler: clears user_data, returns 0 (hand 0 back to the caller).
int test_handler(long, long, long, long, long, long, uapi::EnclaveRun* run) {
  run->user_data = 0;
  return 0;
}

}  // namespace

ScenarioResult unclobbered_vdso(const ScenarioOptions& o) {
  return run_selftest("unclobbered_vdso", o, kMinEpcPages, Heap::kDefault,
                      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
                        put_and_get_magic(encl, rec, false);
                      });
}

ScenarioResult unclobbered_vdso_oversubscribed(const ScenarioOptions& o) {
  return run_selftest(
      "unclobbered_vdso_oversubscribed", o, kOversubscribedMinEpcPages, Heap::kWholeEpc,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
        put_and_get_magic(encl, rec, false);
        // What the heap is there for: the build had to write pages out (EWB), and the
        // entries had to bring the image's pages back (ELDU).
        const hw::Counters c = encl.counters();
        rec.expect_true("pages were evicted (EWB): " + std::to_string(c.evictions),
                        c.evictions > 0);
        rec.expect_true("pages were reloaded (ELDU): " + std::to_string(c.reloads), c.reloads > 0);
      });
}

ScenarioResult clobbered_vdso(const ScenarioOptions& o) {
  return run_selftest("clobbered_vdso", o, kMinEpcPages, Heap::kDefault,
                      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
                        put_and_get_magic(encl, rec, true);
                      });
}

ScenarioResult clobbered_vdso_and_user_function(const ScenarioOptions& o) {
  return run_selftest(
      "clobbered_vdso_and_user_function", o, kMinEpcPages, Heap::kDefault,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
        encl.run().user_handler = reinterpret_cast<uint64_t>(&test_handler);
        encl.run().user_data = 0xdeadbeef;
        rec.line("  run.user_handler := test_handler, run.user_data := 0xdeadbeef");
        const EnclaveCall put = encl.call(
            "put MAGIC into encl_buffer", EnclOpPutToBuf{{user::kEnclOpPutToBuffer}, kMagic}, true);
        expect_clean_eexit(rec, put);
        rec.expect_eq("run.user_data (the handler cleared it)", put.user_data, 0, true);
        const EnclaveCall get = encl.call(
            "get encl_buffer", EnclOpGetFromBuf{{user::kEnclOpGetFromBuffer}, 0}, true);
        expect_clean_eexit(rec, get);
        rec.expect_eq("get_op.value", get.value, kMagic, true);
        rec.expect_eq("run.user_data", get.user_data, 0, true);
      });
}

ScenarioResult tcs_entry(const ScenarioOptions& o) {
  return run_selftest("tcs_entry", o, kMinEpcPages, Heap::kDefault,
                      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
                        const EnclOpHeader nop{user::kEnclOpNop};
                        expect_clean_eexit(rec, encl.call("NOP through TCS#1", nop, true));
                        // Move to the next TCS.
                        encl.run().tcs = encl.base() + user::test_encl::kTcs2;
                        expect_clean_eexit(rec, encl.call("NOP through TCS#2", nop, true));
                      });
}

ScenarioResult pte_permissions(const ScenarioOptions& o) {
  return run_selftest(
      "pte_permissions", o, kMinEpcPages, Heap::kDefault,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
        // The second page of the first RW segment (encl_get_data_offset + PAGE_SIZE).
        const hw::LAddr data_start = encl.base() + user::test_encl::kBuffer + hw::kPageSize;
        EnclOpPutToAddr put{{user::kEnclOpPutToAddress}, kMagic, data_start};
        const EnclOpGetFromAddr get{{user::kEnclOpGetFromAddress}, 0, data_start};

        expect_clean_eexit(rec, encl.call("write MAGIC to page2", put, true));
        const EnclaveCall got = encl.call("read page2", get, true);
        rec.expect_eq("get_addr_op.value", got.value, kMagic, true);
        expect_clean_eexit(rec, got);

        rec.expect_eq("mprotect(page2, PROT_READ)",
                      uint64_t(encl.mprotect(data_start, hw::kPageSize, kernel::PROT_READ)), 0);
        // The PTE read-only, the EPCM still RW: the write faults on the PTE.
        put.value = kMagic2;
        const EnclaveCall faulted = encl.call("write MAGIC2 to page2, now read-only", put, true);
        rec.expect_eq("ret", uint64_t(faulted.ret), 0);
        rec.expect_eq("run.function (ERESUME)", faulted.function, uapi::enclu::kEresume);
        rec.expect_eq("run.exception_vector", faulted.exception_vector, 14);
        rec.expect_eq("run.exception_error_code", faulted.exception_error_code, 0x7, true);
        rec.expect_eq("run.exception_addr", faulted.exception_addr, data_start, true);
        encl.run().exception_vector = 0;
        encl.run().exception_error_code = 0;
        encl.run().exception_addr = 0;

        rec.expect_eq("mprotect(page2, PROT_READ|PROT_WRITE)",
                      uint64_t(encl.mprotect(data_start, hw::kPageSize,
                                             kernel::PROT_READ | kernel::PROT_WRITE)),
                      0);
        expect_clean_eexit(rec, encl.resume("ERESUME the faulted write"));
        const EnclaveCall again = encl.call("read page2", get, true);
        rec.expect_eq("get_addr_op.value", again.value, kMagic2, true);
        expect_clean_eexit(rec, again);
      });
}

const std::vector<Scenario>& sgx1_selftests() {
  static const std::vector<Scenario> all = {
      {"unclobbered_vdso", "PUT/GET_FROM_BUFFER through the register-saving wrapper",
       &unclobbered_vdso},
      {"unclobbered_vdso_oversubscribed",
       "the same with a heap as large as the EPC (EWB while building, ELDU on entry)",
       &unclobbered_vdso_oversubscribed},
      {"clobbered_vdso", "PUT/GET_FROM_BUFFER calling the vDSO directly", &clobbered_vdso},
      {"clobbered_vdso_and_user_function",
       "the same with a user handler that clears user_data (0xdeadbeef -> 0)",
       &clobbered_vdso_and_user_function},
      {"tcs_entry", "NOP through TCS#1 and through TCS#2, each a clean EEXIT", &tcs_entry},
      {"pte_permissions",
       "page2 mprotected read-only: a write is #PF 0x7; RW again, ERESUME finishes it",
       &pte_permissions},
  };
  return all;
}

const Scenario* find_sgx1_selftest(const std::string& name) {
  for (const Scenario& s : sgx1_selftests()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

}  // namespace sgxref::scenarios
