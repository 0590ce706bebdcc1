// File: SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS as a flow (impl/driver/ioctl_sgx2.cc,
// Linux's sgx_enclave_restrict_permissions), over the layout's data pages, restricting
// them to read-only. Per page: the enclave mutex, EMODPR, the ETRACK flow (ETRACK; if it
// refuses, an IPI to the enclave's CPUs and ETRACK once more; then the IPI that ends the
// tracking), the mutex dropped. restrict.etrack=batched runs the ETRACK flow once after
// the range instead, restrict.lock=whole-range holds the mutex over the whole range.
// Returning checks D3 (the pages before `count` were restricted, the rest were not).
#pragma once

#include "flows/layout.h"
#include "flows/program.h"
#include "flows/variant.h"

namespace sgxref::proofs::flows {

// The rights the flow restricts the pages to, and what EACCEPT then confirms.
arch::SecInfo<C> restricted_rights();

Program restrict_permissions(const Layout& l, const Variant& v);

}  // namespace sgxref::proofs::flows
