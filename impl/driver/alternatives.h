// File: the design alternatives the SGX2 review threads argued about, as one options
// struct whose defaults are Linux's choices. Each is named "group.knob=value" so the CLI
// and the tests switch them by the same string. Historical bugs are not here: each
// lives once, as a patch under props/mutants.
#pragma once

#include <string>
#include <vector>

namespace sgxref::driver {

struct Alternatives {
  // restrict.etrack: where RESTRICT_PERMISSIONS runs the ETRACK flow (ETRACK, IPI).
  enum class RestrictEtrack {
    kPerPage,  // "per-page" (Linux): after each page's EMODPR, before the mutex drops
    kBatched,  // "batched": once, after the last page's EMODPR
  };
  // restrict.lock: how long RESTRICT_PERMISSIONS holds the enclave mutex.
  enum class RestrictLock {
    kPerPage,     // "per-page" (Linux): taken and dropped around each page
    kWholeRange,  // "whole-range": held from the first page to the end of the range
  };
  // reclaim.ipi-mask: when the reclaimer's EWB flow computes the CPUs it interrupts.
  enum class IpiMask {
    kAfterEtrack,   // "after-etrack" (Linux): an mm added meanwhile enters tracked
    kBeforeEtrack,  // "before-etrack": computed before the ETRACK
  };
  // eaug.via: how an initialized enclave gets a new page.
  enum class EaugVia {
    kFault,  // "fault" (Linux): a fault on an unbacked address of ELRANGE EAUGs it
    kIoctl,  // "ioctl": SGX_IOC_ENCLAVE_AUGMENT_PAGES (non-Linux); such a fault is SIGBUS
  };

  RestrictEtrack restrict_etrack = RestrictEtrack::kPerPage;
  RestrictLock restrict_lock = RestrictLock::kPerPage;
  IpiMask reclaim_ipi_mask = IpiMask::kAfterEtrack;
  EaugVia eaug_via = EaugVia::kFault;
};

// Sets one alternative from "NAME=VALUE" (e.g. "restrict.etrack=batched"). Returns ""
// on success, else why it was refused (unknown name, unknown value, no '='), with the
// names or values that would have been accepted; `alt` is then unchanged.
std::string set_alternative(Alternatives& alt, const std::string& name_eq_value);

// Every alternative as "NAME=VALUE" for `alt`, in a fixed order (Linux's values are
// what a default-constructed Alternatives gives).
std::vector<std::string> describe(const Alternatives& alt);

// "NAME=VALUE" of each alternative `alt` sets off Linux's choice, in describe's order:
// what a run's transcript names so that it is not taken for Linux's.
std::vector<std::string> off_linux(const Alternatives& alt);

// Each name with its values, the first being Linux's: "restrict.etrack=per-page|batched".
std::vector<std::string> alternative_choices();

}  // namespace sgxref::driver
