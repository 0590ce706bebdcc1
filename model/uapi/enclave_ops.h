// File: what an enclave thread's operation ends in, entered through the vDSO (one EENTER
// to EEXIT, faults the kernel resolves taken and resumed on the way): EEXIT with a value,
// or the exception the vDSO reports. The operations are the selftests' test enclave's:
// a load or store of 8 bytes, EACCEPT, EMODPE, INIT_TCS_PAGE; and EACCEPTCOPY, which
// sgxref's test enclave adds. A thread an exception
// stopped stays in the enclave (its TCS's one SSA frame in use) until ERESUME runs its
// operation again.
//
// The first touch of a page with no translation goes to the driver's fault handler: a
// page there is mapped if its VMA's rights fit under its vm_max_prot_bits (else SIGBUS,
// reported with the error code of that not-present fault); no page there, EAUG adds one
// (augment_via_eaccept included). Then the EPCM decides (SDM "Access-control
// requirements", EACCEPT, EMODPE): an SGX-induced #PF, a #GP, an SGX code, or success.
#pragma once

#include <cstdint>

#include "enclave_state.h"

namespace sgxref::model::uapi {

struct OpOutcome {
  bool exited = true;  // EEXIT; otherwise an exception
  uint64_t value = 0;  // a load's word, or EACCEPT's code (RAX)
  int vector = 0;
  uint64_t error_code = 0;
  uint64_t addr = 0;  // a #PF's address
  // A #PF whose P bit says whether a PTE was there: a set of two allowed outcomes, since
  // reclaim zaps PTEs that user space never sees go.
  bool either_present = false;
  bool operator==(const OpOutcome&) const = default;
};

inline OpOutcome exited(uint64_t value) { return {true, value, 0, 0, 0, false}; }
inline OpOutcome page_fault(uint64_t addr, uint64_t error_code) {
  return {false, 0, 14, error_code, addr, false};
}
inline OpOutcome general_protection() { return {false, 0, 13, 0, 0, false}; }

// Whether `got` (an outcome as observed, with no choice in it) is one `want` allows.
inline bool allows(const OpOutcome& want, const OpOutcome& got) {
  if (!want.either_present) return got == want;
  OpOutcome as_wanted = got;
  as_wanted.error_code = (got.error_code & ~uint64_t(pfec::kP)) | (want.error_code & pfec::kP);
  as_wanted.either_present = true;
  return as_wanted == want;
}

// The driver's answer to the first touch of the page at `offset` (address `addr`): the
// exception if the access cannot go on, else none (the page exists afterwards). The VMA
// decides first (no VMA there, or access_error: a write needs W, any access some right;
// SIGSEGV), and a PTE may be there for an existing page unless the VMA has no rights at
// all (mprotect clears them) or there is no VMA (munmap zaps them); then the fault
// handler.
inline bool reach(Enclave& e, uint64_t offset, uint64_t addr, bool write, OpOutcome& out) {
  const uint8_t vma = e.mapped_rights(offset);
  if (vma == 0 || (write && !(vma & prot::kW))) {
    out = page_fault(addr, pfec::kU | (write ? pfec::kW : 0));
    out.either_present = vma != 0 && e.pages.count(offset) != 0;
    return false;
  }
  auto it = e.pages.find(offset);
  if (it == e.pages.end()) it = e.pages.emplace(offset, augmented_page()).first;
  if ((vma & ~it->second.max_prot) != 0) {
    out = page_fault(addr, pfec::kU | (write ? pfec::kW : 0));
    return false;
  }
  return true;
}

// An access by enclave code: a REG page that is neither PENDING nor MODIFIED, with the
// right in the EPCM.
inline OpOutcome access(Enclave& e, uint64_t offset, bool write, uint64_t value) {
  const uint64_t page = offset - offset % kPage;
  const uint64_t addr = e.base + offset;
  OpOutcome out;
  if (!reach(e, page, addr, write, out)) return out;
  Page& p = e.pages.at(page);
  const bool allowed = p.type == pt::kReg && !p.pending && !p.modified &&
                       (p.rights & (write ? prot::kW : prot::kR)) != 0;
  if (!allowed) return page_fault(addr, pfec::kP | pfec::kU | pfec::kSgx | (write ? pfec::kW : 0));
  if (!write) return exited(p.word(offset % kPage));
  p.set_word(offset % kPage, value);
  return exited(0);
}

// The acknowledgements EACCEPT takes: REG after EAUG (PENDING) or EMODPR (PR), a TCS or
// TRIM after EMODT (MODIFIED).
inline bool legal_request(uint64_t flags) {
  const int64_t t = secinfo::type_of(flags);
  const bool pending = flags & secinfo::kPending, modified = flags & secinfo::kModified;
  const bool pr = flags & secinfo::kPr;
  if (t == pt::kReg) return (pr || pending) && !modified;
  if (t == pt::kTcs || t == pt::kTrim) return !pr && !pending && modified;
  return false;
}

// A TCS the enclave may use (64-bit): STATE inactive, FLAGS clear, CSSA below NSSA, no
// AEP, every reserved byte zero.
inline bool tcs_acceptable(const Page& p) {
  const uint32_t cssa = uint32_t(p.word(24)), nssa = uint32_t(p.word(24) >> 32);
  if (p.word(0) != 0 || p.word(8) != 0 || cssa >= nssa || p.word(40) != 0) return false;
  for (uint64_t i = 72; i < kPage; ++i) {
    if (p.bytes[i] != 0) return false;
  }
  return true;
}

// EACCEPT: no reserved SECINFO bit (#GP, read before the target is reached), a legal
// request (#GP), then every attribute but PR as requested (else
// SGX_PAGE_ATTRIBUTES_MISMATCH), a TCS in a usable state (#GP); the change is accepted.
inline OpOutcome eaccept(Enclave& e, uint64_t offset, uint64_t flags) {
  if (flags & secinfo::kReserved) return general_protection();
  OpOutcome out;
  if (!reach(e, offset, e.base + offset, false, out)) return out;
  if (!legal_request(flags)) return general_protection();
  Page& p = e.pages.at(offset);
  const bool match = p.pending == ((flags & secinfo::kPending) != 0) &&
                     p.modified == ((flags & secinfo::kModified) != 0) &&
                     p.rights == (flags & prot::kRwx) && p.type == secinfo::type_of(flags);
  if (!match) return exited(uint64_t(sgx::kPageAttributesMismatch));
  if (p.type == pt::kTcs && !tcs_acceptable(p)) return general_protection();
  p.pending = false;
  p.modified = false;
  p.pr = false;
  return exited(0);
}

// EACCEPTCOPY: the destination reached for writing, then the source for reading; a
// SECINFO for a REG page, with no reserved bit, never W without R (#GP); a source the
// enclave may read (else an
// SGX #PF on it); a destination PENDING, not MODIFIED, with the RW EAUG gave it (else
// SGX_PAGE_ATTRIBUTES_MISMATCH). The page takes the source's bytes and the SECINFO's
// rights, and is accepted.
inline OpOutcome eacceptcopy(Enclave& e, uint64_t offset, uint64_t source, uint64_t flags) {
  OpOutcome out;
  if (!reach(e, offset, e.base + offset, true, out)) return out;
  if (!reach(e, source, e.base + source, false, out)) return out;
  const uint8_t rights = uint8_t(flags & prot::kRwx);
  if ((flags & secinfo::kReserved) || secinfo::type_of(flags) != pt::kReg ||
      ((rights & prot::kW) && !(rights & prot::kR))) {
    return general_protection();
  }
  const Page& src = e.pages.at(source);
  if (src.type != pt::kReg || src.pending || src.modified || !(src.rights & prot::kR)) {
    return page_fault(e.base + source, pfec::kP | pfec::kU | pfec::kSgx);
  }
  Page& p = e.pages.at(offset);
  if (p.type != pt::kReg || !p.pending || p.modified || p.rights != prot::kRw) {
    return exited(uint64_t(sgx::kPageAttributesMismatch));
  }
  p.bytes = src.bytes;
  p.rights = rights;
  p.pending = false;
  return exited(0);
}

// EMODPE: once the page is reached, no reserved SECINFO bit (#GP); a REG page neither
// PENDING nor MODIFIED (else an SGX #PF on it), never W without R (#GP); the rights
// grow by the request.
inline OpOutcome emodpe(Enclave& e, uint64_t offset, uint64_t flags) {
  OpOutcome out;
  if (!reach(e, offset, e.base + offset, false, out)) return out;
  if (flags & secinfo::kReserved) return general_protection();
  Page& p = e.pages.at(offset);
  if (p.type != pt::kReg || p.pending || p.modified) {
    return page_fault(e.base + offset, pfec::kP | pfec::kU | pfec::kSgx);
  }
  if (!(p.rights & prot::kR) && (flags & prot::kW) && !(flags & prot::kR)) {
    return general_protection();
  }
  p.rights |= uint8_t(flags & prot::kRwx);
  return exited(0);
}

// The test enclave's INIT_TCS_PAGE: stores that write a TCS into a REG page (to be made
// a TCS by MODIFY_TYPES and accepted): OSSA and OENTRY as given, one SSA frame, FS and GS
// limits all-ones, every other byte zero. The first store decides, as they all go to
// the same page.
inline OpOutcome init_tcs_page(Enclave& e, uint64_t offset, uint64_t ssa, uint64_t entry) {
  OpOutcome out;
  if (!reach(e, offset, e.base + offset, true, out)) return out;
  Page& p = e.pages.at(offset);
  if (p.type != pt::kReg || p.pending || p.modified || !(p.rights & prot::kW)) {
    return page_fault(e.base + offset, pfec::kP | pfec::kU | pfec::kSgx | pfec::kW);
  }
  p.bytes.assign(kPage, 0);
  p.set_word(16, ssa);
  p.set_word(24, uint64_t(1) << 32);  // CSSA 0, NSSA 1
  p.set_word(32, entry);
  p.set_word(64, ~uint64_t(0));
  return exited(0);
}

inline OpOutcome run_op(Enclave& e, const EnclaveOp& op) {
  switch (op.kind) {
    case EnclaveOp::Kind::kLoad:
      return access(e, op.offset, false, 0);
    case EnclaveOp::Kind::kStore:
      return access(e, op.offset, true, op.arg);
    case EnclaveOp::Kind::kEaccept:
      return eaccept(e, op.offset, op.arg);
    case EnclaveOp::Kind::kEacceptCopy:
      return eacceptcopy(e, op.offset, op.source, op.arg);
    case EnclaveOp::Kind::kEmodpe:
      return emodpe(e, op.offset, op.arg);
    case EnclaveOp::Kind::kInitTcs:
      return init_tcs_page(e, op.offset, op.arg, op.entry);
  }
  return general_protection();
}

// EENTER through the TCS at `tcs`: #GP while its thread is stopped inside (CSSA has
// reached NSSA); otherwise the operation, and an exception leaves the thread stopped.
inline OpOutcome enter(Enclave& e, uint64_t tcs, const EnclaveOp& op) {
  if (e.stopped.count(tcs) != 0) return general_protection();
  const OpOutcome out = run_op(e, op);
  if (!out.exited) e.stopped.emplace(tcs, op);
  return out;
}

// ERESUME through the TCS at `tcs`: #GP if no thread is stopped there (CSSA is 0);
// otherwise the stopped operation runs again and, if it ends, the thread leaves.
inline OpOutcome resume(Enclave& e, uint64_t tcs) {
  const auto it = e.stopped.find(tcs);
  if (it == e.stopped.end()) return general_protection();
  const OpOutcome out = run_op(e, it->second);
  if (out.exited) e.stopped.erase(it);
  return out;
}

}  // namespace sgxref::model::uapi
