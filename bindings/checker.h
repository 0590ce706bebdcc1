// File: the checker from Python: sgxref.flows(), sgxref.catalogue(), sgxref.check(),
// sgxref.check_flow_file() and the CheckResult they return. They run what `./sgxref
// check` runs (cli/check.h's select_entries, proofs/flows/catalogue_run.h's run_entry),
// show a counterexample as its timeline does (proofs/flows/timeline.h), as text and as
// data, and replay it on impl/driver as `./sgxref replay` does (cli/replay.h), a bug
// switch's on the CLI's sgxref-bug-NAME binary.
#pragma once

#include <pybind11/pybind11.h>

namespace sgxref::bindings {

void bind_checker(pybind11::module_& m);

}  // namespace sgxref::bindings
