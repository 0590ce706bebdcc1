// File: sgxref.ArchModel: model/arch's executable state machine (docs/model.md), stepped
// concretely from Python. Each leaf is the model's own transition, named as the model
// names it and taking its operand record's fields as keyword arguments; the outcome, the
// state and the invariants (well_formed, H1-H4) come back as plain data, walked through
// the records' fields() visitors, so nothing is written twice.
#pragma once

#include <pybind11/pybind11.h>

namespace sgxref::bindings {

void bind_arch_model(pybind11::module_& m);

}  // namespace sgxref::bindings
