// The SGX2 ioctls (Linux ioctl.c: sgx_ioc_enclave_restrict_permissions,
// sgx_ioc_enclave_modify_types, sgx_ioc_enclave_remove_pages): each errno path with
// everything else left as it was (`count`, `result`, the pages' records and EPCM
// entries, free EPC), partial ranges stopping at the failing page, the ELDU (SECS
// first) a page needs before its leaf, -EAGAIN while ksgxd writes the page out, and the
// success paths with the enclave's EACCEPT.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "driver/driver_fixture.h"
#include "driver/encl.h"
#include "driver/fixture_test_encl.h"
#include "driver/staged_strategy.h"
#include "hw/inspect.h"
#include "kernel/errno.h"
#include "kernel/run_queue.h"
#include "kernel/user_mode.h"
#include "kernel/vm_flags.h"
#include "sched/controlled.h"
#include "sched/thread.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/sgx_code.h"
#include "uapi/sgx_ioctl.h"
#include "user/test_encl.h"
#include "user/test_encl_ops.h"

namespace sgxref::testlib {
namespace {

namespace sf = uapi::secinfo_flag;
namespace te = user::test_encl;
constexpr uint64_t kPage = hw::kPageSize;
constexpr uint64_t kTrim = uint64_t(uapi::PageType::kTrim);
constexpr uint64_t kTcs = uint64_t(uapi::PageType::kTcs);

enum class Cmd { kRestrict, kModify, kRemove };
const Cmd kAll[] = {Cmd::kRestrict, Cmd::kModify, Cmd::kRemove};

const char* name(Cmd c) {
  switch (c) {
    case Cmd::kRestrict: return "RESTRICT_PERMISSIONS";
    case Cmd::kModify: return "MODIFY_TYPES";
    case Cmd::kRemove: return "REMOVE_PAGES";
  }
  return "?";
}

struct Out {
  long ret;
  uint64_t result;
  uint64_t count;
};

// One ioctl as user space issues it. `extra` is RESTRICT's permissions or MODIFY's
// type; `result_in` and `count_in` what the caller left in those fields.
Out issue(DriverFixture& f, int fd, Cmd c, uint64_t offset, uint64_t length, uint64_t extra,
          uint64_t result_in = 0, uint64_t count_in = 0) {
  switch (c) {
    case Cmd::kRestrict: {
      uapi::EnclaveRestrictPermissions a{offset, length, extra, result_in, count_in};
      const long ret = f.ioctl(fd, uapi::ioctl::kEnclaveRestrictPermissions, a);
      return {ret, a.result, a.count};
    }
    case Cmd::kModify: {
      uapi::EnclaveModifyTypes a{offset, length, extra, result_in, count_in};
      const long ret = f.ioctl(fd, uapi::ioctl::kEnclaveModifyTypes, a);
      return {ret, a.result, a.count};
    }
    case Cmd::kRemove: {
      uapi::EnclaveRemovePages a{offset, length, count_in};
      const long ret = f.ioctl(fd, uapi::ioctl::kEnclaveRemovePages, a);
      return {ret, 0, a.count};
    }
  }
  return {};
}

// A valid `extra` for each command (R for RESTRICT, TRIM for MODIFY).
uint64_t valid_extra(Cmd c) { return c == Cmd::kModify ? kTrim : sf::kR; }

// What an ioctl may change, for every page of an enclave: the driver's record and,
// while resident, the EPCM entry. Plus the free EPC pages.
struct PageState {
  uint64_t addr;
  uapi::PageType type;
  uint64_t max_prot;
  bool resident;
  hw::EpcmEntry epcm;
  bool operator==(const PageState&) const = default;
};
struct EnclState {
  std::vector<PageState> pages;
  uint64_t free_pages;
  uint32_t secs_child_cnt;
  bool operator==(const EnclState&) const = default;
};

EnclState state_of(DriverFixture& f, int fd) {
  driver::Encl& encl = f.encl_of(fd);
  hw::Inspector in(f.machine());
  EnclState s{{}, f.sgx().nr_free_pages(), 0};
  sched::MutexLock l(encl.lock);
  s.secs_child_cnt = encl.secs_child_cnt;
  for (const auto& [pfn, p] : encl.page_array) {
    PageState ps{p->desc, p->type, p->vm_max_prot_bits, p->epc_page != nullptr, {}};
    if (p->epc_page != nullptr) ps.epcm = in.epcm(*f.machine().epc_slot(p->epc_page->addr));
    s.pages.push_back(ps);
  }
  return s;
}

void evict_everything(DriverFixture& f) {
  kernel::CpuHold cpu;
  for (int i = 0; i < 1000 && f.sgx().lru_pages() > 0; ++i) f.sgx().reclaim_pages();
  ASSERT_EQ(f.sgx().lru_pages(), 0u);
}

// --- Up-front validation (sgx_ioc_sgx2_ready, the copy, the range, the fields). ---

TEST(DriverSgx2Ioctl, WithoutSgx2EachIsEnodev) {
  DriverFixtureOptions o;
  o.sgx2 = false;
  DriverFixture f(o);
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const EnclState before = state_of(f, fd);
  for (Cmd c : kAll) {
    const Out out = issue(f, fd, c, kPage, kPage, valid_extra(c));
    EXPECT_EQ(out.ret, -ENODEV) << name(c);
    EXPECT_EQ(out.count, 0u) << name(c);
    EXPECT_EQ(out.result, 0u) << name(c);
  }
  EXPECT_EQ(state_of(f, fd), before);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverSgx2Ioctl, BeforeInitEachIsEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.open_enclave();
  ASSERT_EQ(f.create(fd, spec), 0);
  ASSERT_EQ(f.add_tcs(fd), 0);
  ASSERT_EQ(f.add_reg(fd, spec, 0, spec.reg_pages), 0);
  const EnclState before = state_of(f, fd);
  for (Cmd c : kAll) {
    const Out out = issue(f, fd, c, kPage, kPage, valid_extra(c));
    EXPECT_EQ(out.ret, -EINVAL) << name(c);
    EXPECT_EQ(out.count, 0u) << name(c);
  }
  EXPECT_EQ(state_of(f, fd), before);
  // The enclave still builds: nothing was changed by the refused calls.
  ASSERT_EQ(f.init(fd, spec), 0);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverSgx2Ioctl, AnUnreadableArgumentIsEfault) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const EnclState before = state_of(f, fd);
  for (unsigned int cmd : {uapi::ioctl::kEnclaveRestrictPermissions, uapi::ioctl::kEnclaveModifyTypes,
                           uapi::ioctl::kEnclaveRemovePages}) {
    EXPECT_EQ(f.process().ioctl(fd, cmd, 0), -EFAULT) << std::hex << cmd;
  }
  EXPECT_EQ(state_of(f, fd), before);
}

TEST(DriverSgx2Ioctl, SgxValidateOffsetLengthRefusesEachBadRangeWithEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const uint64_t size = DriverFixture::size_of(spec);
  const EnclState before = state_of(f, fd);
  struct Range {
    uint64_t offset, length;
    const char* why;
  };
  const Range bad[] = {
      {kPage + 1, kPage, "offset not page-aligned"},
      {kPage, 0, "empty"},
      {kPage, kPage / 2, "length not page-aligned"},
      {size - kPage, 2 * kPage, "past ELRANGE"},
      {size, kPage, "starts at ELRANGE's end"},
      {~uint64_t(0) - kPage + 1, 2 * kPage, "offset + length wraps (the 6.1 overflow check)"},
  };
  for (Cmd c : kAll) {
    for (const Range& r : bad) {
      const Out out = issue(f, fd, c, r.offset, r.length, valid_extra(c));
      EXPECT_EQ(out.ret, -EINVAL) << name(c) << ": " << r.why;
      EXPECT_EQ(out.count, 0u) << name(c) << ": " << r.why;
    }
  }
  EXPECT_EQ(state_of(f, fd), before);
}

TEST(DriverSgx2Ioctl, OutputFieldsNotZeroOnInputAreEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const EnclState before = state_of(f, fd);
  for (Cmd c : kAll) {
    const Out counted = issue(f, fd, c, kPage, kPage, valid_extra(c), 0, kPage);
    EXPECT_EQ(counted.ret, -EINVAL) << name(c) << " with count set";
    EXPECT_EQ(counted.count, kPage) << name(c) << ": the caller's count comes back as it was";
    if (c == Cmd::kRemove) continue;  // it has no result field
    const Out resulted = issue(f, fd, c, kPage, kPage, valid_extra(c), 1, 0);
    EXPECT_EQ(resulted.ret, -EINVAL) << name(c) << " with result set";
    EXPECT_EQ(resulted.result, 1u) << name(c);
  }
  EXPECT_EQ(state_of(f, fd), before);
}

TEST(DriverSgx2Ioctl, RestrictPermissionsBeyondRwxOrWriteWithoutReadAreEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const EnclState before = state_of(f, fd);
  for (uint64_t perms : std::vector<uint64_t>{sf::kPending, sf::kR | (1ull << 8), sf::kW, sf::kW | sf::kX}) {
    const Out out = issue(f, fd, Cmd::kRestrict, kPage, kPage, perms);
    EXPECT_EQ(out.ret, -EINVAL) << "permissions 0x" << std::hex << perms;
    EXPECT_EQ(out.count, 0u);
  }
  EXPECT_EQ(state_of(f, fd), before);
  // X alone and nothing at all are restrictions EMODPR can make.
  EXPECT_EQ(issue(f, fd, Cmd::kRestrict, kPage, kPage, sf::kX).ret, 0);
  EXPECT_EQ(issue(f, fd, Cmd::kRestrict, 2 * kPage, kPage, 0).ret, 0);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverSgx2Ioctl, ModifyTypesToAnythingButTcsOrTrimIsEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const EnclState before = state_of(f, fd);
  for (uint64_t type : std::vector<uint64_t>{uint64_t(uapi::PageType::kReg), uint64_t(uapi::PageType::kSecs),
                                            uint64_t(uapi::PageType::kVa), kTrim | 0x100, 0x80}) {
    const Out out = issue(f, fd, Cmd::kModify, kPage, kPage, type);
    EXPECT_EQ(out.ret, -EINVAL) << "type 0x" << std::hex << type;
    EXPECT_EQ(out.count, 0u);
  }
  EXPECT_EQ(state_of(f, fd), before);
}

// --- Per page: sgx_encl_load_page and each flow's refusals. ---

TEST(DriverSgx2Ioctl, APageWithNoRecordIsEfaultAndEndsTheRange) {
  DriverFixture f;
  EnclaveSpec spec;  // pages 5..7 are holes
  const int fd = f.build_enclave(spec);
  for (Cmd c : kAll) {
    const EnclState before = state_of(f, fd);
    const Out out = issue(f, fd, c, 5 * kPage, kPage, valid_extra(c));
    EXPECT_EQ(out.ret, -EFAULT) << name(c);
    EXPECT_EQ(out.count, 0u) << name(c);
    EXPECT_EQ(out.result, 0u) << name(c);
    EXPECT_EQ(state_of(f, fd), before) << name(c);
  }
  // A range running into the hole: the pages before it are done, `count` says so.
  const Out out = issue(f, fd, Cmd::kRestrict, 3 * kPage, 3 * kPage, sf::kR);
  EXPECT_EQ(out.ret, -EFAULT);
  EXPECT_EQ(out.count, 2 * kPage);
  const EnclState after = state_of(f, fd);
  for (const PageState& p : after.pages) {
    const uint64_t page = (p.addr - spec.base) / kPage;
    const bool changed = page == 3 || page == 4;
    EXPECT_EQ(p.epcm.pr, changed) << "page " << page;
    EXPECT_EQ(p.epcm.w, page != 0 && !changed) << "page " << page;
  }
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverSgx2Ioctl, RestrictOnATcsIsEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const EnclState before = state_of(f, fd);
  const Out out = issue(f, fd, Cmd::kRestrict, 0, 2 * kPage, sf::kR);
  EXPECT_EQ(out.ret, -EINVAL);
  EXPECT_EQ(out.count, 0u);
  EXPECT_EQ(out.result, 0u);
  EXPECT_EQ(state_of(f, fd), before);
}

TEST(DriverSgx2Ioctl, RestrictStopsAtAMiddlePageThatIsNotRegWithCountOfThePagesBefore) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  ASSERT_EQ(issue(f, fd, Cmd::kModify, 2 * kPage, kPage, kTrim).ret, 0);
  const EnclState before = state_of(f, fd);
  const Out out = issue(f, fd, Cmd::kRestrict, kPage, 3 * kPage, sf::kR);
  EXPECT_EQ(out.ret, -EINVAL);
  EXPECT_EQ(out.count, kPage);
  EXPECT_EQ(out.result, 0u);
  const EnclState after = state_of(f, fd);
  ASSERT_EQ(after.pages.size(), before.pages.size());
  for (size_t i = 0; i < after.pages.size(); ++i) {
    if (i == 1) {
      EXPECT_TRUE(after.pages[i].epcm.pr);
      EXPECT_FALSE(after.pages[i].epcm.w);
    } else {
      EXPECT_EQ(after.pages[i], before.pages[i]) << "page " << i;
    }
  }
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverSgx2Ioctl, ModifyTypesRefusesTcsToTcsAndTrimToAnythingWithEinval) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  ASSERT_EQ(issue(f, fd, Cmd::kModify, kPage, kPage, kTrim).ret, 0);
  const EnclState before = state_of(f, fd);
  for (const auto& [offset, type] : {std::pair{uint64_t(0), kTcs}, std::pair{kPage, kTcs},
                                     std::pair{kPage, kTrim}}) {
    const Out out = issue(f, fd, Cmd::kModify, offset, kPage, type);
    EXPECT_EQ(out.ret, -EINVAL) << "offset " << offset << " to type " << type;
    EXPECT_EQ(out.count, 0u);
    EXPECT_EQ(out.result, 0u);
  }
  EXPECT_EQ(state_of(f, fd), before);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverSgx2Ioctl, ModifyTypesTcsToTrimSucceeds) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const Out out = issue(f, fd, Cmd::kModify, 0, kPage, kTrim);
  EXPECT_EQ(out.ret, 0);
  EXPECT_EQ(out.count, kPage);
  const EnclState after = state_of(f, fd);
  EXPECT_EQ(after.pages[0].type, uapi::PageType::kTrim);
  EXPECT_EQ(after.pages[0].epcm.type, hw::PageType::kTrim);
  EXPECT_TRUE(after.pages[0].epcm.modified);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverSgx2Ioctl, ModifyRegToTcsOfAPageNeverWritableIsEperm) {
  DriverFixture f;
  FixtureTestEncl e(f, 0);
  const std::optional<driver::EnclPage> text = e.record(te::kText);
  ASSERT_TRUE(text);
  ASSERT_EQ(text->vm_max_prot_bits, kernel::VM_READ | kernel::VM_EXEC);
  const EnclState before = state_of(f, e.fd());
  const Out out = issue(f, e.fd(), Cmd::kModify, te::kText, kPage, kTcs);
  EXPECT_EQ(out.ret, -EPERM);
  EXPECT_EQ(out.count, 0u);
  EXPECT_EQ(state_of(f, e.fd()), before) << "max_prot stays R-X";
}

TEST(DriverSgx2Ioctl, EmodtRefusingAPendingPageGivesItsCodeInResultAndRestoresMaxProt) {
  DriverFixture f;
  FixtureTestEncl e(f, 0);
  uint64_t v = 0;
  {
    kernel::CpuHold cpu;  // a read from outside EAUGs the page, left PENDING
    ASSERT_EQ(kernel::user_load(e.base() + e.holes(), &v, sizeof(v)), kernel::FaultResult::kHandled);
  }
  const EnclState before = state_of(f, e.fd());
  const Out to_tcs = issue(f, e.fd(), Cmd::kModify, e.holes(), kPage, kTcs);
  EXPECT_EQ(to_tcs.ret, -EFAULT);
  EXPECT_EQ(to_tcs.result, uint64_t(uapi::SgxCode::kPageNotModifiable));
  EXPECT_EQ(to_tcs.count, 0u);
  EXPECT_EQ(state_of(f, e.fd()), before) << "max_prot back to RWX";

  const Out restrict_out = issue(f, e.fd(), Cmd::kRestrict, e.holes(), kPage, sf::kR);
  EXPECT_EQ(restrict_out.ret, -EFAULT);
  EXPECT_EQ(restrict_out.result, uint64_t(uapi::SgxCode::kPageNotModifiable));
  EXPECT_EQ(restrict_out.count, 0u);
  EXPECT_EQ(state_of(f, e.fd()), before);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverSgx2Ioctl, RemoveOfAPageThatIsNotTrimIsEperm) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  const EnclState before = state_of(f, fd);
  for (uint64_t offset : {uint64_t(0), kPage}) {
    const Out out = issue(f, fd, Cmd::kRemove, offset, kPage, 0);
    EXPECT_EQ(out.ret, -EPERM) << "offset " << offset;
    EXPECT_EQ(out.count, 0u);
  }
  EXPECT_EQ(state_of(f, fd), before);
}

TEST(DriverSgx2Ioctl, RemoveOfATrimPageTheEnclaveHasNotAcceptedIsEperm) {
  // The EMODPR probe answers SGX_PAGE_NOT_MODIFIABLE: the page is still MODIFIED.
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  ASSERT_EQ(issue(f, fd, Cmd::kModify, kPage, kPage, kTrim).ret, 0);
  const EnclState before = state_of(f, fd);
  const Out out = issue(f, fd, Cmd::kRemove, kPage, kPage, 0);
  EXPECT_EQ(out.ret, -EPERM);
  EXPECT_EQ(out.count, 0u);
  EXPECT_EQ(state_of(f, fd), before);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

// --- Success paths with the enclave. ---

TEST(DriverSgx2Ioctl, RestrictThenEacceptInTheEnclaveTakesWriteAway) {
  DriverFixture f;
  FixtureTestEncl e(f, 1);
  const uint64_t page = FixtureTestEncl::kHeap;
  ASSERT_EQ(e.put(page, 7).function, uapi::enclu::kEexit);
  const hw::Counters before = hw::Inspector(f.machine()).counters();
  const Out out = issue(f, e.fd(), Cmd::kRestrict, page, kPage, sf::kR);
  ASSERT_EQ(out.ret, 0);
  EXPECT_EQ(out.count, kPage);
  EXPECT_EQ(out.result, 0u);
  const hw::Counters after = hw::Inspector(f.machine()).counters();
  EXPECT_EQ(after.calls[int(hw::Leaf::kEmodpr)] - before.calls[int(hw::Leaf::kEmodpr)], 1u);
  EXPECT_EQ(after.calls[int(hw::Leaf::kEtrack)] - before.calls[int(hw::Leaf::kEtrack)], 1u);
  const hw::EpcmEntry restricted = e.epcm(page);
  EXPECT_TRUE(restricted.pr);
  EXPECT_TRUE(restricted.r);
  EXPECT_FALSE(restricted.w);
  // vm_max_prot_bits do not change: the enclave owns its EPCM rights.
  EXPECT_EQ(e.record(page)->vm_max_prot_bits, kernel::VM_READ | kernel::VM_WRITE);

  EXPECT_EQ(e.eaccept(page, sf::kR | sf::type(uapi::PageType::kReg) | sf::kPr), 0u);
  uint64_t v = 0;
  EXPECT_EQ(e.get(page, v).function, uapi::enclu::kEexit);
  EXPECT_EQ(v, 7u);
  const uapi::EnclaveRun w = e.put(page, 8);
  EXPECT_NE(w.function, uapi::enclu::kEexit);
  EXPECT_EQ(w.exception_vector, 14);
  EXPECT_EQ(w.exception_error_code, 0x8007) << "an EPCM write violation: SGX|U|W|P";
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverSgx2Ioctl, TrimAcceptRemoveFreesThePageAndItsRecord) {
  DriverFixture f;
  FixtureTestEncl e(f, 2);
  const uint64_t first = FixtureTestEncl::kHeap;
  driver::Encl& encl = f.encl_of(e.fd());
  ASSERT_EQ(issue(f, e.fd(), Cmd::kModify, first, 2 * kPage, kTrim).ret, 0);
  EXPECT_EQ(e.record(first)->type, uapi::PageType::kTrim);
  EXPECT_EQ(e.eaccept(first, sf::type(uapi::PageType::kTrim) | sf::kModified), 0u);

  const uint64_t free_before = f.sgx().nr_free_pages();
  const uint32_t page_cnt = encl.page_cnt.load();
  uint32_t children = 0;
  {
    sched::MutexLock l(encl.lock);
    children = encl.secs_child_cnt;
  }
  // The second page was not accepted: the range stops there.
  const Out out = issue(f, e.fd(), Cmd::kRemove, first, 2 * kPage, 0);
  EXPECT_EQ(out.ret, -EPERM);
  EXPECT_EQ(out.count, kPage);
  EXPECT_FALSE(e.record(first)) << "the record is gone (xa_erase)";
  EXPECT_TRUE(e.record(first + kPage));
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before + 1);
  EXPECT_EQ(encl.page_cnt.load(), page_cnt - 1);
  {
    sched::MutexLock l(encl.lock);
    EXPECT_EQ(encl.secs_child_cnt, children - 1);
  }
  EXPECT_EQ(e.eaccept(first + kPage, sf::type(uapi::PageType::kTrim) | sf::kModified), 0u);
  const Out rest = issue(f, e.fd(), Cmd::kRemove, first + kPage, kPage, 0);
  EXPECT_EQ(rest.ret, 0);
  EXPECT_EQ(rest.count, kPage);
  EXPECT_EQ(f.sgx().nr_free_pages(), free_before + 2);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

TEST(DriverSgx2Ioctl, ModifyRegToTcsLimitsMappingsToRwAndMakesAnEnterableTcs) {
  // The selftests' tcs_create: the enclave writes a TCS into a heap page, the kernel
  // turns it into a TCS, the enclave accepts, and a thread enters through it.
  DriverFixture f;
  FixtureTestEncl e(f, 7);  // heap 0x9000..0xFFFF: TCS, SSA, and the thread's scratch page
  const uint64_t tcs = FixtureTestEncl::kHeap;
  const uint64_t ssa = tcs + kPage;
  user::EnclOpInitTcsPage init{{user::kEnclOpInitTcsPage}, e.base() + tcs, ssa, te::kText};
  ASSERT_EQ(e.call(init).function, uapi::enclu::kEexit);
  {
    kernel::CpuHold cpu;  // a PTE for the page, which MODIFY_TYPES must zap
    uint64_t v = 0;
    ASSERT_EQ(kernel::user_load(e.base() + tcs, &v, sizeof(v)), kernel::FaultResult::kHandled);
  }
  const Out out = issue(f, e.fd(), Cmd::kModify, tcs, kPage, kTcs);
  ASSERT_EQ(out.ret, 0);
  EXPECT_EQ(out.count, kPage);
  EXPECT_EQ(e.record(tcs)->type, uapi::PageType::kTcs);
  EXPECT_EQ(e.record(tcs)->vm_max_prot_bits, kernel::VM_READ | kernel::VM_WRITE);
  EXPECT_EQ(f.process().mprotect(e.base() + tcs, kPage,
                                 kernel::PROT_READ | kernel::PROT_WRITE | kernel::PROT_EXEC),
            -EACCES);
  EXPECT_EQ(e.eaccept(tcs, sf::type(uapi::PageType::kTcs) | sf::kModified), 0u);
  user::EnclOpPutToBuf put{{user::kEnclOpPutToBuffer}, 0x1234};
  EXPECT_EQ(e.call(put, tcs).function, uapi::enclu::kEexit);
  user::EnclOpGetFromBuf get{{user::kEnclOpGetFromBuffer}, 0};
  EXPECT_EQ(e.call(get, tcs).function, uapi::enclu::kEexit);
  EXPECT_EQ(get.value, 0x1234u);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

// --- Paging: the ELDU an op needs, and the reclaimer holding the page. ---

TEST(DriverSgx2Ioctl, AnEvictedPageIsReloadedWithItsSecsBeforeTheLeaf) {
  DriverFixture f;
  EnclaveSpec spec;
  const int fd = f.build_enclave(spec);
  evict_everything(f);
  driver::Encl& encl = f.encl_of(fd);
  {
    sched::MutexLock l(encl.lock);
    ASSERT_EQ(encl.secs.epc_page, nullptr) << "the SECS followed its last child out";
  }
  const hw::Counters before = hw::Inspector(f.machine()).counters();
  for (Cmd c : {Cmd::kRestrict, Cmd::kModify}) {
    const Out out = issue(f, fd, c, (c == Cmd::kRestrict ? 1 : 2) * kPage, kPage, valid_extra(c));
    EXPECT_EQ(out.ret, 0) << name(c);
    EXPECT_EQ(out.count, kPage) << name(c);
  }
  const hw::Counters after = hw::Inspector(f.machine()).counters();
  EXPECT_EQ(after.reloads - before.reloads, 3u) << "the SECS, then each page";
  const EnclState s = state_of(f, fd);
  EXPECT_TRUE(s.pages[1].resident && s.pages[1].epcm.pr);
  EXPECT_TRUE(s.pages[2].resident && s.pages[2].epcm.type == hw::PageType::kTrim);
  EXPECT_EQ(f.sgx().warnings(), 0u);
}

// ksgxd has taken every page of the enclave for its batch and stands before EBLOCK
// holding the enclave lock; the ioctl waits for the lock and then finds its page being
// reclaimed: sgx_encl_load_page's -EBUSY, which the ioctls answer with -EAGAIN.
TEST(DriverSgx2Ioctl, APageTheReclaimerIsWritingOutIsEagain) {
  for (Cmd c : kAll) {
    DriverFixture f;
    EnclaveSpec spec;
    const int fd = f.build_enclave(spec);
    if (c == Cmd::kRemove) {
      ASSERT_EQ(issue(f, fd, Cmd::kModify, kPage, kPage, kTrim).ret, 0);
    }
    const hw::LAddr arg = f.user_alloc(kPage);
    Out out{};
    auto staged = std::make_unique<StagedStrategy>(std::vector<Stage>{
        {1, "eblock.begin", 1},  // ksgxd: its batch marked BEING_RECLAIMED
        {2, ""},                 // the ioctl
    });
    StagedStrategy* plan = staged.get();
    sched::Controlled s(std::move(staged));
    const sched::Outcome o = s.run([&] {
      sched::Thread ksgxd("ksgxd", [&] {
        kernel::Task task(f.kernel(), "ksgxd");
        kernel::TaskScope scope(task);
        kernel::CpuHold cpu;
        f.sgx().reclaim_pages();
      });
      sched::Thread user("user", [&] {
        kernel::Task task(f.process(), "ioctl");
        kernel::TaskScope scope(task);
        kernel::CpuHold cpu;
        uapi::EnclaveRestrictPermissions a{kPage, kPage, valid_extra(c), 0, 0};
        const unsigned int cmd = c == Cmd::kRestrict ? uapi::ioctl::kEnclaveRestrictPermissions
                                 : c == Cmd::kModify ? uapi::ioctl::kEnclaveModifyTypes
                                                     : uapi::ioctl::kEnclaveRemovePages;
        if (c == Cmd::kRemove) {
          uapi::EnclaveRemovePages r{kPage, kPage, 0};
          ASSERT_EQ(kernel::copy_to_user(arg, &r, sizeof(r)), 0u);
          out.ret = f.process().ioctl(fd, cmd, arg);
          ASSERT_EQ(kernel::copy_from_user(&r, arg, sizeof(r)), 0u);
          out.count = r.count;
        } else {
          ASSERT_EQ(kernel::copy_to_user(arg, &a, sizeof(a)), 0u);
          out.ret = f.process().ioctl(fd, cmd, arg);
          ASSERT_EQ(kernel::copy_from_user(&a, arg, sizeof(a)), 0u);
          out.count = a.count;
          out.result = a.result;
        }
      });
      ksgxd.join();
      user.join();
    });
    ASSERT_TRUE(o.completed()) << o.report();
    EXPECT_TRUE(plan->all_reached()) << name(c);
    EXPECT_EQ(out.ret, -EAGAIN) << name(c);
    EXPECT_EQ(out.count, 0u) << name(c);
    EXPECT_EQ(out.result, 0u) << name(c);
    // Retried once ksgxd is done, it reloads the page and succeeds (or, for REMOVE,
    // finds the trimmed page not accepted).
    const Out again = issue(f, fd, c, kPage, kPage, valid_extra(c));
    EXPECT_EQ(again.ret, c == Cmd::kRemove ? -EPERM : 0) << name(c);
    EXPECT_EQ(f.sgx().warnings(), 0u) << name(c);
  }
}

// sgx_enclave_etrack's retry: ETRACK answers SGX_PREV_TRK_INCMPL while a CPU that was
// inside at the previous ETRACK is still there; the flow then IPIs the enclave's CPUs
// and tries once more. Our reclaimer leaves such a CPU only when its IPI misses it, which
// the alternative reclaim.ipi-mask=before-etrack does (with its EWB WARN): an enclave
// thread enters between ksgxd's mask and its ETRACK and stays inside while RESTRICT runs.
TEST(DriverSgx2Ioctl, AnEtrackRefusedForAnIncompletePreviousTrackingIsRetriedAfterAnIpi) {
  DriverFixtureOptions o;
  o.alternatives.reclaim_ipi_mask = driver::Alternatives::IpiMask::kBeforeEtrack;
  DriverFixture f(o);
  FixtureTestEncl e(f, 1);
  std::unique_ptr<kernel::Process> child = f.process().fork();
  user::EnclOpHeader nop{user::kEnclOpNop};
  {
    kernel::Task task(*child, "warm-up");
    kernel::TaskScope scope(task);
    ASSERT_EQ(e.call(nop).function, uapi::enclu::kEexit);
  }
  const uint64_t target = te::kBuffer + kPage;
  e.leave_alone_on_lru(target);
  const hw::LAddr arg = f.user_alloc(kPage);
  uapi::EnclaveRestrictPermissions rp{FixtureTestEncl::kHeap, kPage, sf::kR, 0, 0};
  long ret = -1;
  hw::Counters before{};
  hw::Counters after{};
  auto staged = std::make_unique<StagedStrategy>(std::vector<Stage>{
      {1, "etrack.begin", 1}, {2, "enclave.fetch", 1}, {1, "test.ksgxd.done", 1}, {3, ""}});
  StagedStrategy* plan = staged.get();
  sched::Controlled s(std::move(staged));
  const sched::Outcome out = s.run([&] {
    sched::Thread ksgxd("ksgxd", [&] {
      kernel::Task task(f.kernel(), "ksgxd");
      kernel::TaskScope scope(task);
      {
        kernel::CpuHold cpu;
        f.sgx().reclaim_pages();
      }
      sched::point("test.ksgxd.done");
    });
    sched::Thread thread("enclave", [&] {
      kernel::Task task(*child, "enclave");
      kernel::TaskScope scope(task);
      e.call(nop);
    });
    sched::Thread ioctl("ioctl", [&] {
      kernel::Task task(f.process(), "ioctl");
      kernel::TaskScope scope(task);
      kernel::CpuHold cpu;
      ASSERT_EQ(kernel::copy_to_user(arg, &rp, sizeof(rp)), 0u);
      before = hw::Inspector(f.machine()).counters();
      ret = f.process().ioctl(e.fd(), uapi::ioctl::kEnclaveRestrictPermissions, arg);
      after = hw::Inspector(f.machine()).counters();
      ASSERT_EQ(kernel::copy_from_user(&rp, arg, sizeof(rp)), 0u);
    });
    ksgxd.join();
    thread.join();
    ioctl.join();
  });
  ASSERT_TRUE(out.completed()) << out.report();
  EXPECT_TRUE(plan->all_reached());
  EXPECT_EQ(ret, 0);
  EXPECT_EQ(rp.count, kPage);
  const int etrack = int(hw::Leaf::kEtrack);
  EXPECT_EQ(after.calls[etrack] - before.calls[etrack], 2u) << "ETRACK, then again after the IPI";
  EXPECT_EQ(after.codes[etrack] - before.codes[etrack], 1u) << "the first: SGX_PREV_TRK_INCMPL";
  EXPECT_EQ(after.interrupts - before.interrupts, 1u) << "the IPI found the thread inside";
  EXPECT_EQ(e.eaccept(FixtureTestEncl::kHeap, sf::kR | sf::type(uapi::PageType::kReg) | sf::kPr), 0u);
  // The reclaimer's WARN is the alternative's, not this flow's.
  EXPECT_EQ(f.sgx().warnings(), 1u);
  EXPECT_EQ(f.sgx().warning_counts().count("EWB"), 1u);
  child->exit();
}

}  // namespace
}  // namespace sgxref::testlib
