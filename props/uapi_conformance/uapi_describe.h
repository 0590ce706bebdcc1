// File: model/uapi's arguments and outcomes as the uapi properties print them in a
// failure and in a case's commands.
#pragma once

#include <ostream>
#include <string>

#include "uapi/enclave_ops.h"
#include "uapi/sgx2_ioctls.h"

namespace sgxref::props {

void show_args(std::ostream& os, const model::uapi::Sgx2Args& a);
std::string describe(const model::uapi::IoctlOutcome& o);
std::string describe(const model::uapi::OpOutcome& o);
std::ostream& operator<<(std::ostream& os, const model::uapi::EnclaveOp& op);

}  // namespace sgxref::props
