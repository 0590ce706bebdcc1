// File: REMOVE_PAGES as a flow (impl/driver/ioctl_sgx2.cc's remove_page and
// encl_remove_pages; Linux's sgx_encl_remove_pages), over the layout's data pages, which
// start trimmed (Layout::trimmed). Per page: the enclave mutex; the driver's type check
// (TRIM, else -EPERM); EMODPR with RWX as a probe, which answers SGX_PAGE_NOT_MODIFIABLE
// while the enclave has not EACCEPTed the trim and takes a #PF once it has: anything but
// the #PF is -EPERM; the page off the LRU; the mutex dropped for the zap of its PTEs
// and the shootdown's IPI; the mutex again, EREMOVE, the EPC page freed, the SECS's
// child count down, the record erased; the mutex dropped.
//
// Its promise to the enclave (D4): no page goes before the enclave accepted its trim. An
// EREMOVE the hardware refuses is Linux's WARN in sgx_encl_free_epc_page (D1), the EPC
// page then leaked. bug.remove-pages-skips-probe removes without asking. No reclaimer
// races it: its pages are always resident and on the LRU.
#pragma once

#include "flows/layout.h"
#include "flows/program.h"
#include "flows/variant.h"

namespace sgxref::proofs::flows {

Program remove_pages(const Layout& l, const Variant& v);

}  // namespace sgxref::proofs::flows
