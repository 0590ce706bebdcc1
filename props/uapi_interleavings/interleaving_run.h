// File: one case of the interleavings property run on a DriverWorld: each worker's
// commands from a thread of its own (a task of the world's process) and the
// reclaimer's from a kernel thread, all under sched::Controlled with the case's
// strategy. The run keeps model/uapi's state beside the driver: a worker's command is
// run on the model when it starts (what the driver should leave), and when it returns
// its answer must be the model's or one of the allowed outcomes whose cause was there:
// -EBUSY while another worker was inside an SGX2 ioctl, and while the reclaimer ran
// the answer at a page it held (model/uapi's Held: -EAGAIN, or REMOVE_PAGES's -EBUSY),
// with the pages before it changed as the model says.
//
// At every decision of the schedule (every scheduling point of every thread) the
// strategy checks, reading the driver's state without its locks (only the deciding
// thread runs then):
//   D1 no driver WARN;
//   D2, D3 every page a worker owns looks, in the driver's records and in the EPCM and
//     bytes of its EPC page, as the model has it before or after the worker's command
//     in flight (or freshly EAUGed, a hole's first step), and a TCS whose worker is
//     between commands has the CSSA the model says;
//   D6 no command takes more than kOwnSteps steps of its own thread, and the run ends
//     within kRunSteps decisions (the scheduler reports a deadlock itself);
// and at quiescent points (no command in flight, the reclaimer between steps) D5: EPC
// pages in use and free add up to the EPC, the root group is charged what the enclaves
// hold, each enclave's SECS is resident while a child is, its child count matches its
// resident children, each of those has a valid, unblocked EPCM entry at its own
// address and is not marked as being reclaimed, and the process's group charges
// nothing above its limit.
// D4 is the model's: an EACCEPT after a RESTRICT_PERMISSIONS that returned success
// must succeed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sched/schedule.h"
#include "uapi/enclave_state.h"
#include "uapi_conformance/driver_world.h"
#include "uapi_interleavings/interleaved_case.h"

namespace sgxref::props {

// What a run reached, for the property's floors.
struct InterleavingReach {
  uint64_t decisions = 0;
  uint64_t quiescent_checks = 0;
  uint64_t etrack_retries = 0;  // the reclaimer's EWB answered NOT_TRACKED: ETRACK, EWB
  uint64_t ipi_retries = 0;     // and again: IPI the enclave's CPUs, EWB
  uint64_t ebusy = 0;           // an SGX2 ioctl refused while another ran
  uint64_t held = 0;            // an SGX2 ioctl stopped at a page the reclaimer held
  uint64_t evictions = 0;
  uint64_t group_events = 0;    // charges refused at the group's limit
  uint64_t aex_interrupts = 0;  // IPIs that took a worker's CPU out of the enclave
};

struct InterleavingResult {
  sched::Outcome outcome;
  std::vector<std::string> failures;  // each a paragraph: who, which command, what
  mu::Enclave model;                  // the model's state at the end
  InterleavingReach reach;
};

InterleavingResult run_interleaved(DriverWorld& world, const InterleavedCase& c);

}  // namespace sgxref::props
