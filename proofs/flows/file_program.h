// File: a flow file (flow_file.h) made into the checker's program, and into a system
// with the threads it races: ksgxd (with "reclaimer": true) and the enclave threads,
// which EACCEPT what its leaf asks of them. Each step runs its ops in order over the
// same world the built-in flows run over, through the same leaves, loads and return
// (so a file that writes Linux's flow down is Linux's flow, step for step).
#pragma once

#include <cstddef>
#include <memory>

#include "flows/flow_file.h"
#include "flows/layout.h"
#include "flows/system.h"
#include "flows/variant.h"

namespace sgxref::proofs::flows {

// The file's layout: its sizes, as the user may override them.
Layout file_layout(const file::FlowFile& f, size_t data_pages, size_t enclave_threads);

// The file's flow as thread 0's program over `l`.
Program file_program(const Layout& l, std::shared_ptr<const file::FlowFile> f);

// The file's flow, ksgxd under `v` if the file asks for it, and `l`'s enclave threads.
System file_system(std::shared_ptr<const file::FlowFile> f, const Variant& v, const Layout& l);

}  // namespace sgxref::proofs::flows
