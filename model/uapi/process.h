// File: the process the uapi model describes: an initialized enclave its threads run in,
// and a second enclave it is building, with what it prepared for that build.
#pragma once

#include "build_ioctls.h"
#include "enclave_state.h"

namespace sgxref::model::uapi {

struct Process {
  Enclave enclave;
  Build build;
  BuildPlan plan;
};

}  // namespace sgxref::model::uapi
