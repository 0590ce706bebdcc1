// File: the emulator self-check `sgxref check` runs until the checker exists: it
// builds, measures, signs and initializes an enclave on a fresh machine one leaf at a
// time, checks a few refusals, tears it down, and prints every step with its outcome.
#pragma once

#include <ostream>

#include "hw/config.h"

namespace sgxref::cli {

// Runs the self-check on a fresh machine of `cfg`, which needs at least 6 EPC pages.
// Returns true when every leaf answered what the SDM says it must.
bool run_selfcheck(const hw::Config& cfg, std::ostream& out);

}  // namespace sgxref::cli
