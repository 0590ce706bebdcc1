// File: the emulator self-check `sgxref check` runs until the checker exists: it
// builds, measures, signs and initializes an enclave on a fresh machine one leaf at a
// time, checks a few refusals, tears it down, and prints every step with its outcome.
#pragma once

#include <cstdint>
#include <ostream>

namespace sgxref::cli {

struct SelfCheckOptions {
  uint32_t epc_pages = 4096;
  uint64_t seed = 0;  // 0: the machine's default seed
};

// Returns true when every leaf answered what the SDM says it must.
bool run_selfcheck(const SelfCheckOptions& opts, std::ostream& out);

}  // namespace sgxref::cli
