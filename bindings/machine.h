// File: sgxref.Machine: the emulator with its kernel, the driver and one user process
// (scenarios::DriverHost, ksgxd in manual mode so a run replays from its seed), and
// the one way Python reaches it, run(): the GIL released, one caller at a time, the
// process's task current on whichever host thread Python calls from.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "driver/alternatives.h"
#include "hw/config.h"
#include "kernel/task.h"
#include "scenarios/driver_host.h"
#include "scenarios/ksgxd_on_retry.h"

namespace sgxref::bindings {

struct MachineOptions {
  uint32_t epc_pages = 64;
  uint32_t cpus = 4;
  bool sgx2 = true;
  uint64_t seed = hw::Config{}.seed;
  driver::Alternatives alternatives;
};

class Machine {
 public:
  explicit Machine(const MachineOptions& o);

  // `work` as the process's task, without the GIL (so long runs let other Python
  // threads go on) and serialized with every other call on this machine, since one
  // task cannot be played by two host threads at once. `work` must not touch Python.
  template <typename Work>
  auto run(Work&& work) -> decltype(work()) {
    pybind11::gil_scoped_release nogil;
    return as_user(std::forward<Work>(work));
  }
  // The same holding the GIL, for a destructor (which Python may run while finalizing):
  // no caller of run() waits for the GIL while it holds the machine.
  template <typename Work>
  auto as_user(Work&& work) -> decltype(work()) {
    std::lock_guard<std::mutex> one_at_a_time(mu_);
    kernel::TaskScope as_user(host_.task());
    return std::forward<Work>(work)();
  }

  scenarios::DriverHost& host() { return host_; }
  // Runs enclave calls so that an access the kernel answers with VM_FAULT_NOPAGE (no
  // EPC page without reclaim, a group at its limit) gets ksgxd's step before it is
  // retried, as a free ksgxd would give, instead of spinning for ever in manual mode.
  scenarios::KsgxdOnRetry& ksgxd() { return ksgxd_; }
  const MachineOptions& options() const { return o_; }

  // Before an enclave entry: ksgxd's answer to the wake-ups a fault would wait for (in
  // manual mode nobody else gives it), one step when free pages are below the low
  // watermark. Returns the batches run. Call inside run().
  int reclaim_if_low();

 private:
  MachineOptions o_;
  scenarios::DriverHost host_;
  // Patient enough that a call the scenarios run (a few faults each) sees ksgxd only
  // between calls, as they do; a call still retrying after that is spinning.
  scenarios::KsgxdOnRetry ksgxd_{host_.kernel(), host_.sgx(), 64};
  std::mutex mu_;
};

// Parses Machine's `options`: a mapping of alternative names to values, or an iterable
// of "NAME=VALUE" strings. ValueError names what would have been accepted.
driver::Alternatives alternatives_from(const pybind11::object& options);

using MachineClass = pybind11::class_<Machine, std::shared_ptr<Machine>>;

// The class with its constructor, options, reclaim control and statistics; open and
// load_test_enclave come with the Enclave (enclave.h), inspection with inspect.h.
MachineClass bind_machine(pybind11::module_& m);

}  // namespace sgxref::bindings
