// File: the SGX2 ioctls that change a range of pages one page at a time as flows
// (impl/driver/ioctl_sgx2.cc, Linux's sgx_enclave_restrict_permissions and
// sgx_enclave_modify_types), over the layout's data pages. Per page: the enclave mutex,
// the driver's type check, EMODPR to read-only or EMODT to TRIM, the ETRACK flow
// (ETRACK; if it refuses, an IPI to the enclave's CPUs and ETRACK once more; then the IPI
// that ends the tracking), the mutex dropped. For RESTRICT_PERMISSIONS,
// restrict.etrack=batched runs the ETRACK flow once after the range instead, and
// restrict.lock=whole-range holds the mutex over the whole range; the alternatives do
// not touch MODIFY_TYPES. Returning checks D3 (the pages before `count` changed, the
// rest did not).
#pragma once

#include "flows/layout.h"
#include "flows/program.h"
#include "flows/variant.h"

namespace sgxref::proofs::flows {

// The SECINFO an enclave thread EACCEPTs a changed page with: REG, R, PR; or TRIM,
// MODIFIED.
arch::SecInfo<C> restricted_rights();
arch::SecInfo<C> trimmed();

Program restrict_permissions(const Layout& l, const Variant& v);
Program modify_types(const Layout& l, const Variant& v);

}  // namespace sgxref::proofs::flows
