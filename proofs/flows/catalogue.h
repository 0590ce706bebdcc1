// File: the checker's flows by name, each made into a system with the threads that race
// it: RESTRICT_PERMISSIONS (thread 0) against enclave threads that EACCEPT its pages
// ("restrict"), the same with ksgxd reclaiming the data pages (thread 1) as well
// ("restrict-reclaim"), MODIFY_TYPES to TRIM against enclave threads that EACCEPT
// the trimmed pages ("modify-types"), the same with ksgxd ("modify-types-reclaim"), and
// the EAUG fault on a hole against ksgxd writing the data pages and then the SECS out
// ("eaug-reclaim", no enclave threads), and REMOVE_PAGES over trimmed pages against
// enclave threads that EACCEPT the trim ("remove").
#pragma once

#include <string>
#include <vector>

#include "flows/layout.h"
#include "flows/system.h"
#include "flows/variant.h"

namespace sgxref::proofs::flows {

// The flow names build_system takes.
std::vector<std::string> flow_names();

// Whether `flow` runs beside enclave threads: eaug-reclaim does not (a running thread's
// TCS would keep the SECS in, and its question is the SECS written out).
bool takes_enclave_threads(const std::string& flow);

// The layout a flow runs on. Throws std::invalid_argument for an unknown flow, or
// enclave threads for eaug-reclaim.
Layout layout_for(const std::string& flow, size_t data_pages, size_t enclave_threads);

// A driver flow's program (thread 0), ksgxd under `v` when `l` has the reclaimer, and `l`'s
// enclave threads EACCEPTing what the ioctl asks of them (TRIM when `trim`, else
// read-only).
System racing(Program ioctl, bool trim, const Variant& v, const Layout& l);

// The flow's threads over `l` (from layout_for).
System build_system(const std::string& flow, const Variant& v, const Layout& l);

}  // namespace sgxref::proofs::flows
