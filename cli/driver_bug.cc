#include "cli/driver_bug.h"

#ifndef SGXREF_DRIVER_BUG
#error "cli/driver_bug.cc is compiled per binary with SGXREF_DRIVER_BUG (cli/CMakeLists.txt)"
#endif

namespace sgxref::cli {

std::string driver_bug() { return SGXREF_DRIVER_BUG; }

}  // namespace sgxref::cli
