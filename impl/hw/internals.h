// File: the leaves' internals (machine_state.h) for the tests that set up a state no
// leaf sequence reaches, such as an EPCM entry edited under the state mutex or forged
// page bytes, and for the tests of the leaves' helpers. Reading goes through the
// Inspector (inspect.h). impl/kernel and impl/driver may not include it
// (scripts/check-layering); without it they cannot name Internals, and Machine's
// state is a private base.
#pragma once

#include "hw/machine.h"
#include "hw/machine_state.h"

namespace sgxref::hw {

class Internals {
 public:
  static MachineState& of(Machine& m) { return m; }
};

}  // namespace sgxref::hw
