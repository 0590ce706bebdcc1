// File: which checker bug the driver linked into this binary carries. `sgxref` links
// impl/driver as it is; each sgxref-bug-NAME beside it links the driver with
// props/mutants/NAME.patch applied (cli/CMakeLists.txt), so that a bug switch's
// counterexample replays on a driver that has the bug. The one source compiled per
// binary.
#pragma once

#include <string>

namespace sgxref::cli {

// "" for the driver as it is, else the bug's name (without "bug.").
std::string driver_bug();

}  // namespace sgxref::cli
