// File: impl/driver's virtual EPC as a VMM and its guest drive it in the vEPC property:
// one process (a DriverFixture with kEpcPages EPC pages and one small debug enclave
// built through /dev/sgx_enclave, so that reclaim has pages to take) that opens
// /dev/sgx_vepc instances, maps each (kPages pages at an address of its own), touches
// its pages, plays the guest kernel running ECREATE and EADD on the EPC pages behind
// them (testlib::GuestKernel finds them as KVM does), and reads the enclave's pages as a
// debugger. The EPC is small enough for vEPC pages to fill it: a touch or an enclave
// load that waits for ksgxd runs on a KsgxdOnRetry thread, ksgxd stepping at each retry.
// Each call answers in model/uapi's terms (vepc.h), instances named by the model's ids. `differences` compares the
// driver's own state with a model state: each instance's allocated indices (its page
// array) and the EPC page behind each (a vEPC page never moves: no reclaim takes it),
// each page's EPCM entry read through the emulator's inspection face, the zombie count,
// D5's accounting of every EPC page, and no WARN.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "driver/driver_fixture.h"
#include "driver/guest_kernel.h"
#include "driver/virt.h"
#include "scenarios/ksgxd_on_retry.h"
#include "uapi/vepc.h"

namespace sgxref::props {

namespace mu = model::uapi;

class VepcWorld {
 public:
  // Pages of an instance the VMM maps and touches.
  static constexpr uint64_t kPages = 4;
  // The EPC: the enclave's SECS, TCS, two REG pages and VA page, and one page short of
  // room for two instances' pages, so that cases run out of EPC.
  static constexpr uint32_t kEpcPages = 8;
  // The enclave's VA pages (sgx_encl_grow: one for every 512 pages), which no reclaim
  // frees: the model's room is the EPC less these.
  static constexpr uint64_t kVaPages = 1;
  static constexpr uint64_t kRegPages = 2;

  VepcWorld();
  ~VepcWorld();

  // A new instance, known by the model's id from now on: 0 or -errno.
  long open(int id);
  // The instance's pages mapped MAP_FIXED at its address, shared or private: 0 when mapped
  // there, else -errno.
  long mmap(int id, bool shared);
  // Page `index` touched through the mapping (faulted in as KVM does).
  mu::Touch touch(int id, uint64_t index);
  // The guest's leaves on the EPC pages behind touched pages: whether they succeeded.
  bool ecreate(mu::VepcPageRef at);
  bool eadd(mu::VepcPageRef at, mu::VepcPageRef secs);
  // SGX_IOC_VEPC_REMOVE_ALL with `arg`.
  long remove_all(int id, uint64_t arg);
  // The mapping unmapped and the descriptor closed: the instance's release. 0 or -errno.
  long close(int id);
  // The word at `at` of the enclave's REG page `page` read as a debugger does: 0 with
  // the word in `value`, or -errno.
  long enclave_read(uint64_t page, uint64_t at, uint64_t& value);
  // Another enclave opened, CREATEd and closed: CREATE's answer.
  long create_enclave();
  // The word the build put there.
  uint64_t enclave_word(uint64_t page, uint64_t at) const;
  // One ksgxd batch; every page of the enclave written out (the SECS after its children).
  void reclaim_batch();
  void evict_all();

  std::string differences(const mu::Vepc& m);
  // Every instance of `m` closed (on both sides, `m` too), then the enclave released:
  // what D5 says is left (nothing but the zombies `m` still has) that is not so.
  std::string teardown_differences(mu::Vepc& m);

 private:
  hw::LAddr address_of(int id) const;
  driver::SgxVepc& vepc_of(int id);
  // EPC pages the enclave holds: SECS, VA pages, resident children.
  uint64_t enclave_pages();

  testlib::DriverFixture f_;
  scenarios::KsgxdOnRetry ksgxd_{f_.kernel(), f_.sgx()};
  testlib::GuestKernel guest_{f_};
  testlib::EnclaveSpec spec_;
  int encl_fd_ = -1;
  std::map<int, int> fd_;          // the model's id -> descriptor
  std::map<int, bool> mapped_;     // the model's id -> mapped (for close)
  // The EPC slot first found behind each touched page, kept after release for the
  // zombies and for children whose SECS is one.
  std::map<mu::VepcPageRef, uint32_t> slot_;
};

}  // namespace sgxref::props
