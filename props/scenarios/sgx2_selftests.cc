#include "scenarios/sgx2_selftests.h"

#include <cerrno>
#include <utility>

#include "kernel/vm_flags.h"
#include "scenarios/selftest_enclave.h"
#include "scenarios/selftest_run.h"
#include "uapi/page_type.h"
#include "user/test_encl.h"
#include "user/test_encl_ops.h"

namespace sgxref::scenarios {

namespace {

using user::EnclOpEaccept;
using user::EnclOpEmodpe;
using user::EnclOpGetFromAddr;
using user::EnclOpGetFromBuf;
using user::EnclOpInitTcsPage;
using user::EnclOpPutToAddr;
using user::EnclOpPutToBuf;

namespace sf = uapi::secinfo_flag;

constexpr uint64_t kPage = hw::kPageSize;
constexpr uint64_t kSecinfoReg = sf::type(uapi::PageType::kReg);
constexpr uint64_t kSecinfoTcs = sf::type(uapi::PageType::kTcs);
constexpr uint64_t kSecinfoTrim = sf::type(uapi::PageType::kTrim);
constexpr uint64_t kPageTypeTcs = uint64_t(uapi::PageType::kTcs);
constexpr uint64_t kPageTypeTrim = uint64_t(uapi::PageType::kTrim);
constexpr uint64_t kRwx = kernel::PROT_READ | kernel::PROT_WRITE | kernel::PROT_EXEC;
constexpr uint64_t kRw = kernel::PROT_READ | kernel::PROT_WRITE;

// The selftests' check that the test has a chance: the ioctl with a zeroed argument
// must fail. ENOTTY (no such ioctl) or ENODEV (no SGX2) would SKIP the selftest; with
// SGX2 and the ioctl there, Linux refuses the zero length (sgx_validate_offset_length:
// -EINVAL), which is what the mirror asserts. False when the return was not -1 (the
// selftests' ASSERT_EQ(ret, -1) in tcs_permissions and epcm_permissions stops there).
bool expect_probe_refused(Recorder& rec, const IoctlCall& c) {
  const bool refused = rec.expect_eq_signed("the zeroed probe's ret", c.ret, -1);
  rec.expect_eq("the zeroed probe's errno (EINVAL: SGX2 is there, length 0 is not)",
                uint64_t(c.err), EINVAL);
  return refused;
}

// EXPECT_EQ(ret, ...), EXPECT_EQ(errno_save, ...), EXPECT_EQ(ioc.result, 0) where the
// ioctl has one, EXPECT_EQ(ioc.count, ...).
void expect_ioctl(Recorder& rec, const IoctlCall& c, long ret, int err, uint64_t count,
                  bool has_result) {
  rec.expect_eq_signed("ret", c.ret, ret);
  rec.expect_eq("errno", uint64_t(c.err), uint64_t(err));
  if (has_result) rec.expect_eq("result", c.result, 0, true);
  rec.expect_eq("count", c.count, count, true);
}

// An EEXIT whose EACCEPT returned 0.
void expect_accepted(Recorder& rec, const EnclaveCall& c) {
  expect_clean_eexit(rec, c);
  rec.expect_eq("eaccept_op.ret", c.eaccept_ret, 0, true);
}

// An AEX the vDSO reported: run.function ERESUME, a #PF with `error_code` at `addr`.
void expect_page_fault(Recorder& rec, const EnclaveCall& c, uint16_t error_code, uint64_t addr) {
  rec.expect_eq("ret", uint64_t(c.ret), 0);
  rec.expect_eq("run.function (ERESUME)", c.function, uapi::enclu::kEresume);
  rec.expect_eq("run.exception_vector", c.exception_vector, 14);
  rec.expect_eq("run.exception_error_code", c.exception_error_code, error_code, true);
  rec.expect_eq("run.exception_addr", c.exception_addr, addr, true);
}

void clear_exception(SelftestEnclave& encl, Recorder& rec) {
  encl.run().exception_vector = 0;
  encl.run().exception_error_code = 0;
  encl.run().exception_addr = 0;
  rec.line("  run.exception_vector, _error_code, _addr := 0");
}

void set_tcs(SelftestEnclave& encl, Recorder& rec, hw::LAddr tcs) {
  encl.run().tcs = tcs;
  rec.line("  run.tcs := base+" + hex(tcs - encl.base()));
}

// The remove_* tests' and epcm_permissions' opening: MAGIC written to page2 (the second
// page of the data segment) and read back.
void put_and_get_magic_at(SelftestEnclave& encl, Recorder& rec, hw::LAddr addr) {
  expect_clean_eexit(rec, encl.call("write MAGIC to page2",
                                    EnclOpPutToAddr{{user::kEnclOpPutToAddress}, kMagic, addr},
                                    true));
  const EnclaveCall got =
      encl.call("read page2", EnclOpGetFromAddr{{user::kEnclOpGetFromAddress}, 0, addr}, true);
  rec.expect_eq("get_addr_op.value", got.value, kMagic, true);
  expect_clean_eexit(rec, got);
}

// EACCEPT with `flags` of each page of [first, first + pages * 4096) through run.tcs,
// as the selftests' loops do: each ENCL_CALL returns 0 with no exception, and (the
// selftests' ASSERT_EQs) EACCEPT returned 0 and the enclave left by EEXIT, else the
// loop stops. The first and last calls go to the transcript, the rest are summarised.
void eaccept_each_page(SelftestEnclave& encl, Recorder& rec, const std::string& what,
                       hw::LAddr first, uint64_t pages, uint64_t flags) {
  uint64_t done = 0;
  for (uint64_t i = 0; i < pages; ++i) {
    const bool shown = i == 0 || i + 1 == pages;
    encl.set_verbose(shown);
    const EnclaveCall c = encl.call(what + ", page " + std::to_string(i),
                                    EnclOpEaccept{{user::kEnclOpEaccept}, first + i * kPage, flags, 0},
                                    true);
    encl.set_verbose(true);
    const bool ok = c.ret == 0 && c.exception_vector == 0 && c.exception_error_code == 0 &&
                    c.exception_addr == 0 && c.eaccept_ret == 0 &&
                    c.function == uapi::enclu::kEexit;
    if (shown || !ok) expect_accepted(rec, c);
    if (!ok) {
      rec.line("  the loop stops at page " + std::to_string(i) + " (the selftest's ASSERT_EQ)");
      break;
    }
    ++done;
  }
  rec.line("  " + what + ": " + std::to_string(done) + " of " + std::to_string(pages) +
           " pages accepted, each ENCL_CALL 0, EEXIT, no exception, EACCEPT 0");
}

}  // namespace

ScenarioResult unclobbered_vdso_oversubscribed_remove(const ScenarioOptions& o) {
  return run_selftest(
      "unclobbered_vdso_oversubscribed_remove", o, kOversubscribedMinEpcPages, Heap::kWholeEpc,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult& r) {
        const SelftestEnclave::SegmentInfo heap = encl.segments().back();
        r.scaled = "heap = the whole EPC as in the selftest, on an EPC of " +
                   std::to_string(r.epc_pages) +
                   " pages (the selftest's is the machine's, up to GiBs, under a 900 s timeout)";
        rec.line("  scaled: " + r.scaled);
        expect_probe_refused(rec, encl.modify_types("probe SGX2 with a zeroed modt_ioc", 0, 0, 0));

        const EnclaveCall put = encl.call(
            "put MAGIC into encl_buffer", EnclOpPutToBuf{{user::kEnclOpPutToBuffer}, kMagic}, false);
        expect_clean_eexit(rec, put);
        rec.expect_eq("run.user_data", put.user_data, 0, true);
        const EnclaveCall get = encl.call(
            "get encl_buffer", EnclOpGetFromBuf{{user::kEnclOpGetFromBuffer}, 0}, false);
        rec.expect_eq("get_op.value", get.value, kMagic, true);
        expect_clean_eexit(rec, get);
        rec.expect_eq("run.user_data", get.user_data, 0, true);

        expect_ioctl(rec,
                     encl.modify_types("trim the entire heap", heap.offset, heap.size,
                                       kPageTypeTrim),
                     0, 0, heap.size, true);
        eaccept_each_page(encl, rec, "EACCEPT(TRIM|MODIFIED) of the heap", encl.base() + heap.offset,
                          heap.size / kPage, kSecinfoTrim | sf::kModified);
        expect_ioctl(rec, encl.remove_pages("complete the removal", heap.offset, heap.size), 0, 0,
                     heap.size, false);

        // What the EPC-sized heap is there for: the build, the trim and the removal had
        // to page (EWB) and the EACCEPTs had to bring pages back (ELDU).
        const hw::Counters c = encl.counters();
        rec.expect_true("pages were evicted (EWB): " + std::to_string(c.evictions),
                        c.evictions > 0);
        rec.expect_true("pages were reloaded (ELDU): " + std::to_string(c.reloads), c.reloads > 0);
      });
}

ScenarioResult tcs_permissions(const ScenarioOptions& o) {
  return run_selftest(
      "tcs_permissions", o, kMinEpcPages, Heap::kDefault,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
        if (!expect_probe_refused(
                rec, encl.restrict_permissions("probe SGX2 with a zeroed ioc", 0, 0, 0))) {
          return;
        }
        // A TCS's permissions cannot be restricted: the kernel refuses before any EMODPR.
        expect_ioctl(rec,
                     encl.restrict_permissions("make the TCS page read-only", encl.tcs_offset(),
                                               kPage, sf::kR),
                     -1, EINVAL, 0, true);
      });
}

ScenarioResult epcm_permissions(const ScenarioOptions& o) {
  return run_selftest(
      "epcm_permissions", o, kMinEpcPages, Heap::kDefault,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
        if (!expect_probe_refused(rec, encl.restrict_permissions(
                                           "probe SGX2 with a zeroed restrict_ioc", 0, 0, 0))) {
          return;
        }
        const hw::LAddr data_start = encl.base() + encl.data_offset() + kPage;
        put_and_get_magic_at(encl, rec, data_start);

        // EPCM read-only; the VMA and the PTE still allow writes.
        expect_ioctl(rec,
                     encl.restrict_permissions("restrict page2's EPCM permissions to R",
                                               encl.data_offset() + kPage, kPage, sf::kR),
                     0, 0, kPage, true);
        expect_accepted(rec, encl.call("EACCEPT(R|REG|PR) page2",
                                       EnclOpEaccept{{user::kEnclOpEaccept}, data_start,
                                                     sf::kR | kSecinfoReg | sf::kPr, 0},
                                       true));

        const EnclOpPutToAddr put2{{user::kEnclOpPutToAddress}, kMagic2, data_start};
        expect_page_fault(rec, encl.call("write MAGIC2 to page2, EPCM read-only", put2, true),
                          0x8007, data_start);
        clear_exception(encl, rec);

        // TCS#1 is in the AEX; TCS#2 makes the page writable again from inside.
        set_tcs(encl, rec, encl.base() + kPage);
        expect_clean_eexit(rec, encl.call("EMODPE(R|W) page2 through TCS#2",
                                          EnclOpEmodpe{{user::kEnclOpEmodpe}, data_start,
                                                       sf::kR | sf::kW},
                                          true));
        set_tcs(encl, rec, encl.base());
        expect_clean_eexit(rec, encl.resume("ERESUME the faulted write through TCS#1", put2));

        const EnclaveCall got = encl.call(
            "read page2", EnclOpGetFromAddr{{user::kEnclOpGetFromAddress}, 0, data_start}, true);
        rec.expect_eq("get_addr_op.value", got.value, kMagic2, true);
        expect_clean_eexit(rec, got);
        rec.expect_eq("run.user_data", got.user_data, 0, true);
      });
}

ScenarioResult augment(const ScenarioOptions& o) {
  return run_selftest(
      "augment", o, kMinEpcPages, Heap::kDefault,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
        rec.line("  sgx2_supported(): the machine enumerates SGX2 (CPUID 12h EAX[1])");
        const uint64_t total_size = encl.total_size();
        rec.expect_true("total_size + PAGE_SIZE (" + hex(total_size + kPage) + ") < encl_size (" +
                            hex(encl.encl_size()) + ")",
                        total_size + kPage < encl.encl_size());
        // Any permissions: the range is ELRANGE's, with no enclave page behind it.
        const hw::LAddr want = encl.base() + total_size;
        const long addr = encl.mmap(want, kPage, kRwx);
        rec.expect_eq("mmap's address (the one asked for)", uint64_t(addr), want, true);
        clear_exception(encl, rec);

        // The first #PF EAUGs the page; the page is PENDING until EACCEPT, so the write
        // faults again, now with the SGX bit, and that one reaches user space.
        const EnclOpPutToAddr put{{user::kEnclOpPutToAddress}, kMagic, want};
        expect_page_fault(rec, encl.call("write MAGIC to the new page", put, true), 0x8007, want);
        clear_exception(encl, rec);

        set_tcs(encl, rec, encl.base() + kPage);
        expect_accepted(rec, encl.call("EACCEPT(R|W|REG|PENDING) the new page through TCS#2",
                                       EnclOpEaccept{{user::kEnclOpEaccept}, want,
                                                     sf::kR | sf::kW | kSecinfoReg | sf::kPending,
                                                     0},
                                       true));
        set_tcs(encl, rec, encl.base());
        expect_clean_eexit(rec, encl.resume("ERESUME the faulted write through TCS#1", put));

        const EnclaveCall got = encl.call(
            "read the new page", EnclOpGetFromAddr{{user::kEnclOpGetFromAddress}, 0, want}, true);
        rec.expect_eq("get_addr_op.value", got.value, kMagic, true);
        expect_clean_eexit(rec, got);
        encl.munmap(want, kPage);
      });
}

ScenarioResult augment_via_eaccept(const ScenarioOptions& o) {
  return run_selftest(
      "augment_via_eaccept", o, kMinEpcPages, Heap::kDefault,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult& r) {
        const uint64_t edmm_space = kEdmmSpacePages * kPage;
        r.scaled = "edmm_space = " + std::to_string(kEdmmSpacePages) + " pages (" +
                   hex(edmm_space) + " bytes) instead of the selftest's 8 GiB";
        rec.line("  scaled: " + r.scaled);
        rec.line("  sgx2_supported(): the machine enumerates SGX2 (CPUID 12h EAX[1])");
        const uint64_t total_size = encl.total_size();
        rec.expect_true("total_size + edmm_space (" + hex(total_size + edmm_space) +
                            ") < encl_size (" + hex(encl.encl_size()) + ")",
                        total_size + edmm_space < encl.encl_size());
        const hw::LAddr want = encl.base() + total_size;
        const long addr = encl.mmap(want, edmm_space, kRwx);
        rec.expect_eq("mmap's address (the one asked for)", uint64_t(addr), want, true);
        clear_exception(encl, rec);

        // Each EACCEPT faults on the unbacked page, the kernel EAUGs it, and EACCEPT runs
        // again without a fault: user space sees none of it.
        eaccept_each_page(encl, rec, "EACCEPT(R|W|REG|PENDING) of edmm_space", want,
                          kEdmmSpacePages, sf::kR | sf::kW | kSecinfoReg | sf::kPending);

        expect_clean_eexit(rec, encl.call("write MAGIC to the first new page",
                                          EnclOpPutToAddr{{user::kEnclOpPutToAddress}, kMagic, want},
                                          true));
        const EnclaveCall got = encl.call(
            "read it", EnclOpGetFromAddr{{user::kEnclOpGetFromAddress}, 0, want}, true);
        rec.expect_eq("get_addr_op.value", got.value, kMagic, true);
        expect_clean_eexit(rec, got);
        encl.munmap(want, edmm_space);
      });
}

ScenarioResult tcs_create(const ScenarioOptions& o) {
  return run_selftest(
      "tcs_create", o, kMinEpcPages, Heap::kDefault,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
        expect_probe_refused(rec, encl.modify_types("probe SGX2 with a zeroed modt_ioc", 0, 0, 0));

        // Phase 1: a stack page, a TCS and an SSA frame, EAUGed, and a thread run on them.
        const uint64_t total_size = encl.total_size();
        rec.expect_true("total_size + 3 * PAGE_SIZE (" + hex(total_size + 3 * kPage) +
                            ") < encl_size (" + hex(encl.encl_size()) + ")",
                        total_size + 3 * kPage < encl.encl_size());
        const hw::LAddr stack_end = encl.base() + total_size;
        const hw::LAddr tcs = stack_end + kPage;
        const hw::LAddr ssa = stack_end + 2 * kPage;
        const long addr = encl.mmap(stack_end, 3 * kPage, kRw);
        rec.expect_eq("mmap's address (the one asked for)", uint64_t(addr), stack_end, true);
        clear_exception(encl, rec);

        const uint64_t pending = sf::kR | sf::kW | kSecinfoReg | sf::kPending;
        for (const auto& [what, page] : {std::pair{"the stack page", stack_end},
                                         std::pair{"the SSA page", ssa},
                                         std::pair{"the TCS page", tcs}}) {
          expect_accepted(rec, encl.call(std::string("EACCEPT(R|W|REG|PENDING) ") + what,
                                         EnclOpEaccept{{user::kEnclOpEaccept}, page, pending, 0},
                                         true));
        }

        // encl_get_entry("encl_dyn_entry"): its stack is the page before its TCS.
        const uint64_t entry = user::test_encl::kDynEntry;
        rec.expect_true("encl_dyn_entry (" + hex(entry) + ") != 0", entry != 0);
        expect_clean_eexit(
            rec, encl.call("INIT_TCS_PAGE: OSSA total_size + 2 pages, OENTRY encl_dyn_entry",
                           EnclOpInitTcsPage{{user::kEnclOpInitTcsPage}, tcs,
                                             total_size + 2 * kPage, entry},
                           true));
        expect_ioctl(rec,
                     encl.modify_types("change the TCS page's type to TCS", total_size + kPage,
                                       kPage, kPageTypeTcs),
                     0, 0, kPage, true);
        expect_accepted(rec, encl.call("EACCEPT(TCS|MODIFIED) the new TCS",
                                       EnclOpEaccept{{user::kEnclOpEaccept}, tcs,
                                                     kSecinfoTcs | sf::kModified, 0},
                                       true));

        set_tcs(encl, rec, tcs);
        expect_clean_eexit(rec, encl.call("put MAGIC into encl_buffer through the new TCS",
                                          EnclOpPutToBuf{{user::kEnclOpPutToBuffer}, kMagic}, true));
        const EnclaveCall got_buf = encl.call(
            "get encl_buffer through the new TCS", EnclOpGetFromBuf{{user::kEnclOpGetFromBuffer}, 0},
            true);
        rec.expect_eq("get_buf_op.value", got_buf.value, kMagic, true);
        expect_clean_eexit(rec, got_buf);

        // Phase 2: the three pages trimmed, accepted and removed; a regular page EAUGed
        // where the TCS was.
        expect_ioctl(rec,
                     encl.modify_types("trim the three pages", total_size, 3 * kPage,
                                       kPageTypeTrim),
                     0, 0, 3 * kPage, true);
        set_tcs(encl, rec, encl.base());
        for (const auto& [what, page] : {std::pair{"the stack page", stack_end},
                                         std::pair{"the TCS page", tcs},
                                         std::pair{"the SSA page", ssa}}) {
          expect_accepted(rec, encl.call(std::string("EACCEPT(TRIM|MODIFIED) ") + what,
                                         EnclOpEaccept{{user::kEnclOpEaccept}, page,
                                                       kSecinfoTrim | sf::kModified, 0},
                                         true));
        }
        expect_ioctl(rec, encl.remove_pages("remove the three pages", total_size, 3 * kPage), 0, 0,
                     3 * kPage, false);

        expect_accepted(rec, encl.call("EACCEPT(R|W|REG|PENDING) where the TCS was",
                                       EnclOpEaccept{{user::kEnclOpEaccept}, tcs, pending, 0},
                                       true));
        expect_clean_eexit(rec, encl.call("write MAGIC there",
                                          EnclOpPutToAddr{{user::kEnclOpPutToAddress}, kMagic, tcs},
                                          true));
        const EnclaveCall got = encl.call(
            "read it", EnclOpGetFromAddr{{user::kEnclOpGetFromAddress}, 0, tcs}, true);
        rec.expect_eq("get_addr_op.value", got.value, kMagic, true);
        expect_clean_eexit(rec, got);
        encl.munmap(stack_end, 3 * kPage);
      });
}

ScenarioResult remove_added_page_no_eaccept(const ScenarioOptions& o) {
  return run_selftest(
      "remove_added_page_no_eaccept", o, kMinEpcPages, Heap::kDefault,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
        expect_probe_refused(rec, encl.modify_types("probe SGX2 with a zeroed modt_ioc", 0, 0, 0));
        const uint64_t page2 = encl.data_offset() + kPage;
        put_and_get_magic_at(encl, rec, encl.base() + page2);
        expect_ioctl(rec, encl.modify_types("trim page2", page2, kPage, kPageTypeTrim), 0, 0,
                     kPage, true);
        // No EACCEPT: the removal is not permitted.
        expect_ioctl(rec, encl.remove_pages("remove page2 without EACCEPT", page2, kPage), -1,
                     EPERM, 0, false);
      });
}

ScenarioResult remove_added_page_invalid_access(const ScenarioOptions& o) {
  return run_selftest(
      "remove_added_page_invalid_access", o, kMinEpcPages, Heap::kDefault,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
        expect_probe_refused(rec, encl.modify_types("probe SGX2 with a zeroed ioc", 0, 0, 0));
        const uint64_t page2 = encl.data_offset() + kPage;
        const hw::LAddr data_start = encl.base() + page2;
        put_and_get_magic_at(encl, rec, data_start);
        expect_ioctl(rec, encl.modify_types("trim page2", page2, kPage, kPageTypeTrim), 0, 0,
                     kPage, true);
        // Present for the kernel, a TRIM page for the EPCM: a #PF with the SGX bit.
        expect_page_fault(
            rec,
            encl.call("read page2, trimmed and not accepted",
                      EnclOpGetFromAddr{{user::kEnclOpGetFromAddress}, 0, data_start}, true),
            0x8005, data_start);
      });
}

ScenarioResult remove_added_page_invalid_access_after_eaccept(const ScenarioOptions& o) {
  return run_selftest(
      "remove_added_page_invalid_access_after_eaccept", o, kMinEpcPages, Heap::kDefault,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
        expect_probe_refused(rec, encl.modify_types("probe SGX2 with a zeroed ioc", 0, 0, 0));
        const uint64_t page2 = encl.data_offset() + kPage;
        const hw::LAddr data_start = encl.base() + page2;
        put_and_get_magic_at(encl, rec, data_start);
        expect_ioctl(rec, encl.modify_types("trim page2", page2, kPage, kPageTypeTrim), 0, 0,
                     kPage, true);
        expect_accepted(rec, encl.call("EACCEPT(TRIM|MODIFIED) page2",
                                       EnclOpEaccept{{user::kEnclOpEaccept}, data_start,
                                                     kSecinfoTrim | sf::kModified, 0},
                                       true));
        // Accepted but not removed: still a TRIM page, still a #PF with the SGX bit.
        expect_page_fault(
            rec,
            encl.call("read page2, trimmed and accepted, not removed",
                      EnclOpGetFromAddr{{user::kEnclOpGetFromAddress}, 0, data_start}, true),
            0x8005, data_start);
      });
}

ScenarioResult remove_untouched_page(const ScenarioOptions& o) {
  return run_selftest(
      "remove_untouched_page", o, kMinEpcPages, Heap::kDefault,
      [](SelftestEnclave& encl, Recorder& rec, ScenarioResult&) {
        expect_probe_refused(rec, encl.modify_types("probe SGX2 with a zeroed modt_ioc", 0, 0, 0));
        const uint64_t page2 = encl.data_offset() + kPage;
        expect_ioctl(rec, encl.modify_types("trim page2, never accessed", page2, kPage,
                                            kPageTypeTrim),
                     0, 0, kPage, true);
        expect_accepted(rec, encl.call("EACCEPT(TRIM|MODIFIED) page2",
                                       EnclOpEaccept{{user::kEnclOpEaccept}, encl.base() + page2,
                                                     kSecinfoTrim | sf::kModified, 0},
                                       true));
        expect_ioctl(rec, encl.remove_pages("remove page2", page2, kPage), 0, 0, kPage, false);
      });
}

const std::vector<Scenario>& sgx2_selftests() {
  static const std::vector<Scenario> all = {
      {"unclobbered_vdso_oversubscribed_remove",
       "heap = the whole EPC (1024 pages here, the machine's EPC in Linux): trim it, EACCEPT "
       "each page, remove it",
       &unclobbered_vdso_oversubscribed_remove},
      {"tcs_permissions", "RESTRICT_PERMISSIONS(R) on a TCS: -1/EINVAL, result 0, count 0",
       &tcs_permissions},
      {"epcm_permissions",
       "page2 restricted to R and accepted: a write is #PF 0x8007; EMODPE(RW) via TCS#2, ERESUME",
       &epcm_permissions},
      {"augment", "a write to a new page of ELRANGE: EAUG, #PF 0x8007; EACCEPT, ERESUME",
       &augment},
      {"augment_via_eaccept",
       "EACCEPT of each unbacked page EAUGs it unseen (edmm_space 5 pages here, 8 GiB in Linux)",
       &augment_via_eaccept},
      {"tcs_create",
       "a TCS made of EAUGed pages runs; trimmed, accepted, removed; EAUG again in its place",
       &tcs_create},
      {"remove_added_page_no_eaccept", "trim, no EACCEPT: REMOVE_PAGES is -1/EPERM, count 0",
       &remove_added_page_no_eaccept},
      {"remove_added_page_invalid_access", "trim, no EACCEPT: a read is #PF 0x8005",
       &remove_added_page_invalid_access},
      {"remove_added_page_invalid_access_after_eaccept",
       "trim and EACCEPT, no removal: a read is #PF 0x8005",
       &remove_added_page_invalid_access_after_eaccept},
      {"remove_untouched_page", "trim, EACCEPT, REMOVE_PAGES of a page never touched: count 4096",
       &remove_untouched_page},
  };
  return all;
}

const Scenario* find_sgx2_selftest(const std::string& name) {
  for (const Scenario& s : sgx2_selftests()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

}  // namespace sgxref::scenarios
