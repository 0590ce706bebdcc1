// File: impl/driver as user space drives it in the uapi properties: one process with the
// selftests' test enclave, grown to kThreads threads (the image's two, and more after
// it, each a stack page, a TCS entering at encl_dyn_entry and an SSA page), heap pages
// after those, the rest of ELRANGE mapped RWX for EAUG; its threads entering through the
// vDSO, the SGX2 ioctls with their argument in the process's memory, mprotect, and
// manual reclaim. Enough threads that the ones an exception stops do not end a case's use of
// the enclave. Each call answers in
// model/uapi's terms, and `differences` compares the driver's own state with a model
// state: its page records, and the EPCM and bytes of every resident page (through the
// emulator's inspection face, which changes nothing), so eviction stays untouched; at
// the end of a case `final_differences` loads every page back and compares them all,
// and `teardown_differences` releases the enclave and checks that nothing is left.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include <vector>

#include "driver/driver_fixture.h"
#include "driver/epc_cgroup.h"
#include "scenarios/ksgxd_on_retry.h"
#include "user/enclave_loader.h"
#include "uapi/enclave_state.h"
#include "uapi/build_ioctls.h"
#include "uapi/enclave_ops.h"
#include "uapi/mapping.h"
#include "uapi/sgx2_ioctls.h"

namespace sgxref::props {

namespace mu = model::uapi;

// The driver states a case reached (uapi_coverage.h counts them).
struct Reached {
  bool eldu_on_fault = false;
  bool secs_reload = false;
  bool eaug_fault = false;
  bool partial_count = false;
};

class DriverWorld {
 public:
  static constexpr int kThreads = 8;
  static constexpr uint64_t kHeapPages = 8;

  // The process in an accounting group of its own, limited to `group_limit` EPC pages
  // once the enclave is built (the build itself is not limited).
  explicit DriverWorld(uint64_t group_limit = driver::kNoLimit);
  ~DriverWorld();

  // The TCS offset of thread `t`, and its SSA's.
  static uint64_t tcs(int t);
  static uint64_t ssa(int t);

  // The model state this world starts in.
  mu::Enclave initial_model() const;
  hw::LAddr base() const { return e_.base; }

  enum class Sgx2 { kRestrict, kModifyTypes, kRemove };
  // From thread `thread`'s task (its argument in that thread's own memory). The model's
  // answer to the same call; `held`: a page of the range the reclaimer holds.
  mu::IoctlOutcome ioctl(int thread, Sgx2 which, const mu::Sgx2Args& a);
  // Whether the group has a limit, and whether the page at `offset` has an EPC page.
  bool limited() const { return group_->max() != driver::kNoLimit; }
  bool resident(uint64_t offset);
  static mu::IoctlOutcome on_model(mu::Enclave& e, Sgx2 which, const mu::Sgx2Args& a,
                                   mu::Held held = {});
  // The vDSO's report: `function` is the leaf at the exception (EENTER or ERESUME).
  struct Run {
    mu::OpOutcome outcome;
    uint32_t function = 0;
  };
  Run enter(int thread, const mu::EnclaveOp& op);
  Run resume(int thread);
  // mprotect of [offset, offset + length) of ELRANGE to `rights` (PROT_* bits).
  long mprotect(uint64_t offset, uint64_t length, uint8_t rights);
  // munmap of [offset, offset + length) of ELRANGE.
  long munmap(uint64_t offset, uint64_t length);
  // mmap of the enclave's file there with MAP_FIXED, shared or private: 0 when it is
  // mapped where asked, else -errno (or the address it went to).
  long mmap(uint64_t offset, uint64_t length, uint8_t rights, bool shared);
  // The second enclave's build.
  mu::BuildPlan build_plan() const;
  long build_create(mu::SecsKind f);
  mu::IoctlOutcome build_add(const mu::AddArgs& a);
  long build_provision(bool bad_pointer, bool provision_file);
  long build_init(const mu::InitArgs& a);
  // An ioctl of any number on the running enclave's descriptor (0), the one being built
  // (1) or /dev/sgx_provision's (2), its argument the process's scratch page.
  long raw_ioctl(int descriptor, unsigned int cmd);
  // One ksgxd batch; every page written out (the SECS after its children).
  void reclaim_batch();
  void evict_all();

  std::string differences(const mu::Enclave& m, const mu::Build& b);
  std::string final_differences(const mu::Enclave& m, const mu::Build& b);
  // The enclave unmapped and its descriptor closed: what D5 says teardown leaves (every
  // EPC page free, nothing charged) that is not so, and any WARN.
  std::string teardown_differences();

  const Reached& reached() const { return reached_; }
  // The ksgxd steps enclave calls at the group's limit have waited for.
  uint64_t ksgxd_steps() const { return ksgxd_.steps(); }

  // For the interleavings property, which runs threads of its own on this process and
  // reads the driver's state at every decision of a controlled run.
  testlib::DriverFixture& fixture() { return f_; }
  driver::Encl& encl() { return f_.encl_of(e_.fd); }
  driver::Encl& build_encl() { return f_.encl_of(build_fd_); }
  driver::EpcCgroup& group() { return *group_; }

 private:
  Run call(int thread, const mu::EnclaveOp* op);
  void prepare_build();
  // The records, EPCM and bytes of the pages of the enclave behind `fd` against `pages`.
  void compare_pages(std::ostream& d, int fd, hw::LAddr base, uint64_t first, uint64_t end,
                     const std::map<uint64_t, mu::Page>& pages);
  void compare_mapping(std::ostream& d, const mu::Enclave& m);
  // D5 between commands: every EPC page free or held by an enclave (its SECS, VA pages
  // and resident pages), the groups charged exactly those, every resident page on an
  // LRU.
  void compare_accounting(std::ostream& d);
  template <class Arg>
  mu::IoctlOutcome sgx2(hw::LAddr at, unsigned int cmd, Arg arg, bool bad_pointer);

  testlib::DriverFixture f_;
  scenarios::KsgxdOnRetry ksgxd_;
  driver::EpcCgroup* group_ = nullptr;
  user::LoadedEnclave e_;
  uint64_t heap_ = 0;   // the heap's offset: the modelled part starts there
  uint64_t holes_ = 0;  // the first offset after the heap
  // Each thread's user memory: its op page; a spare, since a thread an exception
  // stopped keeps its op page (an EENTER refused meanwhile gets its op elsewhere); the
  // argument of its ioctls.
  struct ThreadMemory {
    hw::LAddr op = 0;
    hw::LAddr spare = 0;
    hw::LAddr arg = 0;
  };
  std::vector<ThreadMemory> mem_;
  std::vector<bool> stopped_;
  // The second enclave: its descriptor, what it is built as, and the user memory its
  // build reads (sources, one SECS per SecsKind, a SECINFO, SIGSTRUCTs), and a
  // descriptor of /dev/sgx_provision.
  int build_fd_ = -1;
  testlib::EnclaveSpec build_spec_;
  hw::LAddr sources_ = 0;
  hw::LAddr secs_[5] = {0, 0, 0, 0, 0};
  hw::LAddr secinfo_ = 0;
  // The SIGSTRUCT signed for the plan, the same for the SECS with PROVISIONKEY, one
  // with a vendor that is neither 0 nor 0x8086, and ones asking for a reserved bit.
  hw::LAddr sigstruct_ = 0;
  hw::LAddr sigstruct_provision_ = 0;
  hw::LAddr sigstruct_bad_vendor_ = 0;
  // The plan's SIGSTRUCT asking for a reserved bit, by mu::ReservedAsked (none at 0).
  hw::LAddr sigstruct_reserved_[4] = {0, 0, 0, 0};
  int provision_fd_ = -1;
  hw::LAddr arg_ = 0;
  Reached reached_;
};

}  // namespace sgxref::props
