// File: reclaim control from Python: ksgxd's step, one reclaim batch, batches until a
// number of free pages, and one chosen page written out. Each runs without the GIL.
#pragma once

#include "bindings/enclave.h"
#include "bindings/machine.h"

namespace sgxref::bindings {

void bind_reclaim(MachineClass& machine, EnclaveClass& enclave);

}  // namespace sgxref::bindings
