// File: sgxref.UapiModel: model/uapi's statement of what user space observes of an
// initialized SGX2 enclave (docs/uapi-model.md), stepped from Python beside the
// driver: the SGX2 ioctls, the mapping calls and the test enclave's operations, each
// answering as the model says Linux must, and its pages and VMAs as plain data. The
// model is independent of impl/ (it shares no code), so holding the driver's answers
// against it from Python checks one with the other.
#pragma once

#include <pybind11/pybind11.h>

namespace sgxref::bindings {

void bind_uapi_model(pybind11::module_& m);

}  // namespace sgxref::bindings
