// File: the checker's flows by name, each made into a system with the threads that race
// it: RESTRICT_PERMISSIONS (thread 0) against enclave threads that EACCEPT its pages.
#pragma once

#include <string>
#include <vector>

#include "flows/layout.h"
#include "flows/system.h"
#include "flows/variant.h"

namespace sgxref::proofs::flows {

// The flow names build_system takes.
std::vector<std::string> flow_names();

// Throws std::invalid_argument for an unknown flow.
System build_system(const std::string& flow, const Variant& v, const Layout& l);

}  // namespace sgxref::proofs::flows
