// File: one case of the interleavings property, drawn whole on the test thread before
// anything runs (RapidCheck's generators are not thread-safe): the schedule (a strategy
// of impl/sched and its seed, so shrinking replays the same interleaving), each
// worker's commands, and the reclaimer's. Worker w owns territory(w): two heap pages,
// two holes of ELRANGE and TCS #w+1. Owning nothing in common, the workers' commands
// commute in model/uapi; only the driver has something to share (the enclave's mutex
// and IOCTL bit, its VA pages and the SECS, the mm, the EPC, the reclaimer's lists).
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "uapi/enclave_ops.h"
#include "uapi/enclave_state.h"
#include "uapi/sgx2_ioctls.h"
#include "uapi_conformance/driver_world.h"

namespace sgxref::props {

inline constexpr int kWorkers = 3;

// What worker `w` owns: the TCS its thread enters and the pages it works on, two runs
// of two pages (the heap's and the holes').
struct Territory {
  int thread = 0;
  std::vector<uint64_t> pages;
};
Territory territory(const mu::Enclave& initial, int w);

struct WorkerCommand {
  enum class Kind { kIoctl, kEnter, kResume, kMprotect };
  Kind kind = Kind::kEnter;
  DriverWorld::Sgx2 which = DriverWorld::Sgx2::kRestrict;  // kIoctl
  mu::Sgx2Args args;                                       // kIoctl
  mu::EnclaveOp op;                                        // kEnter
  uint64_t offset = 0;                                     // kMprotect
  uint64_t length = 0;
  uint8_t rights = 0;
};

struct InterleavedCase {
  bool pct = false;  // else the random strategy
  int depth = 2;     // PCT's bug depth
  uint64_t seed = 0;
  // The process's accounting-group limit: at it, a fault waits (VM_FAULT_NOPAGE) for
  // the reclaimer to run the group's queued work. The workers of a case with a limit
  // make no SGX2 ioctls (uapi_interleavings_test.cc says why).
  uint64_t limit = driver::kNoLimit;
  std::vector<std::vector<WorkerCommand>> workers;
  // The reclaimer's steps: one batch, or (true) batches until nothing is left on the
  // LRU (at most eight), which writes the SECS out once its last child goes. Then, until
  // every worker is done, ksgxd's steps (a group's queued work among them).
  std::vector<bool> reclaims;
};

std::ostream& operator<<(std::ostream& os, const WorkerCommand& c);
std::ostream& operator<<(std::ostream& os, const InterleavedCase& c);

}  // namespace sgxref::props
