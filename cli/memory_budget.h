// File: whether an emulated machine fits in the memory this process may still use.
// hw::Epc allocates and zeroes every EPC page when the machine is built, so an EPC
// larger than the memory available ends in an uncaught std::bad_alloc (under an
// address-space limit) or the OOM killer; the CLI asks here first and refuses with the
// numbers instead.
#pragma once

#include <optional>
#include <string>

#include "hw/config.h"

namespace sgxref::cli {

// Nothing when a machine of `cfg` fits; otherwise a message naming the bytes it needs,
// the bytes available and the limit that bounds them. Available is the tightest of the
// RLIMIT_AS and RLIMIT_DATA soft limits less what this process already uses, each
// cgroup v2 memory.max less memory.current from this process's cgroup up to the root of
// the hierarchy, and /proc/meminfo's MemAvailable; a limit that cannot be read is left
// out.
std::optional<std::string> machine_does_not_fit(const hw::Config& cfg);

}  // namespace sgxref::cli
