// File: the enclave a flow's counterexample replays on: the checker's layout (flows/
// layout.h) as a real image. Page p of the flow is the page at offset p * 4096: for each
// enclave thread a TCS and its one SSA frame, then the data pages (REG RW), then the
// holes (ELRANGE with nothing added, for the EAUG fault); after them a code page and a page holding the SECINFO that EACCEPT takes, which the flows leave
// out (the flows put the SECINFO on the SSA page: neither page is ever evicted, and
// with an enclave thread its TCS keeps the SECS in anyway). Without enclave threads
// there is no code, so the SECS can follow the data pages out as in the flows.
//
// An enclave thread enters with RDI = an array in user memory, one word per data page.
// Its program EACCEPTs each data page in order with the SECINFO the flows' enclave
// thread uses (the restricted rights and PR, or TRIM and MODIFIED), stores each answer
// (RAX) in the array, and EEXITs.
#pragma once

#include <cstdint>

#include "arch/types.h"
#include "flows/layout.h"
#include "user/enclave_image.h"

namespace sgxref::proofs::replay {

inline constexpr uint64_t kPage = 4096;

// The pages after the flow's: the code and the SECINFO.
inline uint64_t code_offset(const flows::Layout& l) { return uint64_t(l.pages()) * kPage; }
inline uint64_t secinfo_offset(const flows::Layout& l) { return code_offset(l) + kPage; }

user::EnclaveImage replay_image(const flows::Layout& l, const model::arch::SecInfo<model::Concrete>& accept);

}  // namespace sgxref::proofs::replay
