// File: the EAUG fault path as a flow (impl/driver/vm_ops.cc's eaug_page and
// Encl::eaug_page; Linux's sgx_vma_fault and sgx_encl_eaug_page). A thread touches the
// layout's first hole, a page of ELRANGE the enclave has no page at, and the fault
// handler takes encl->lock, loads the SECS back if ksgxd wrote it out (sgx_encl_load_secs:
// an ELDU, its own step), takes a free EPC page, EAUGs it into the SECS, records it as a
// resident REG page and maps it (vmf_insert_pfn), then drops the lock. No free EPC page
// is -EBUSY: VM_FAULT_NOPAGE, and the access faults again from the lock. An EAUG the
// hardware refuses is SIGBUS (the thread's rv is -EFAULT). bug.eaug-skips-load-secs
// uses the SECS as it finds it (the bug c6c2adcba50c fixed): once ksgxd has written it
// out, Linux dereferenced its NULL EPC page, which the flow counts as D1.
#pragma once

#include "flows/layout.h"
#include "flows/program.h"
#include "flows/variant.h"

namespace sgxref::proofs::flows {

Program eaug_fault(const Layout& l, const Variant& v);

}  // namespace sgxref::proofs::flows
