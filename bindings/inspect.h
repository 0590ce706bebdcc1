// File: inspection as plain Python data (dicts, lists, ints, strings), through the
// emulator's inspection face (hw/inspect.h) and the driver's own records: the EPCM
// table, each CPU's mode, epoch and TLB, the leaf and paging counters, the driver's
// WARNs; for an enclave its SECS with the tracking state, its pages as the driver
// holds them, and the backing-store entries of the evicted ones.
#pragma once

#include "bindings/enclave.h"
#include "bindings/machine.h"

namespace sgxref::bindings {

void bind_inspect(MachineClass& machine, EnclaveClass& enclave);

}  // namespace sgxref::bindings
