// File: a user's flow, read from a JSON file (`./sgxref check --flow-file F`): an ioctl
// of their own, or their alternative of one of Linux's, as a per-page program over
// model/arch's leaves, the enclave mutex and the thread's local state, checked against
// the built-in ksgxd and enclave threads exactly as the catalogue's flows are.
// docs/checker.md ("Your own flow") documents the format; this is its reader, which
// refuses anything it does not know with the place and what it would have taken.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sgxref::proofs::flows::file {

// What a `when` literal reads: the loop's page as sgx_encl_load_page found it, the
// SECS's load, the last leaf of the step, the driver's records, the thread's locals.
enum class Cond {
  kPageIn, kPageBusy, kPageFailed,  // load_page: in the EPC; -EBUSY; an ELDU refused
  kSecsIn, kSecsBusy, kSecsFailed,  // load_secs: the same for the SECS
  kOk, kFaulted,                    // the step's EMODPR, EMODT or ETRACK succeeded; faulted
  kPageReg, kPageTcs,               // the driver's record of the loop's page says REG; TCS
  kSecsResident,                    // the driver has the SECS in the EPC
  kMore, kStarted,                  // pages are left; some page is done
  kRvOk, kTail,                     // rv is 0; the thread's `tail` flag
};

struct Literal {
  Cond cond;
  bool negated;
};

// One operation of a step. Operations run in order; each runs only if every literal of
// its `when` holds (and no earlier `goto`, `fail` or `return` of the step was taken).
struct Op {
  enum class Kind {
    kReachLock,  // encl->lock's point; the step `to` (a mutex step) takes the lock
    kUnlock,     // mutex_unlock(&encl->lock)
    kLoadPage,   // sgx_encl_load_page on the loop's page (an ELDU ends the step there)
    kLoadSecs,   // the SECS loaded back if evicted (an ELDU ends the step there)
    kEmodpr,     // EMODPR of the loop's page to read-only
    kEmodt,      // EMODT of the loop's page to TRIM
    kEtrack,     // ETRACK on the SECS (WARN and no leaf when the driver has it evicted)
    kIpi,        // on_each_cpu_mask over the enclave's CPUs
    kWarn,       // a WARN: the driver found its own bug (D1)
    kSet,        // `var` = `value`
    kNextPage,   // the loop's page done: the next one
    kGoto,       // go to step `to`
    kFail,       // rv = `value`, go to step `to`
    kReturn,     // the ioctl returns: count = the pages done
  };
  Kind kind;
  std::vector<Literal> when;  // written "ok", "!page.reg", ...
  size_t to = 0;                  // a step's index (kReachLock, kGoto, kFail)
  std::string var = "";           // kSet: "rv" or "tail"
  int64_t value = 0;              // kSet, kFail: rv's ret:: code, or tail's 0/1
};

struct Step {
  std::string label;
  bool mutex = false;  // inside encl->lock: ready only while it is free or this thread's
  std::vector<Op> ops;
  // The scheduling point the step ends at when it reaches one: encl->lock for a lock
  // step, else its leaf's end ("" for a step of local state only, which always runs on).
  std::string point;
};

struct FlowFile {
  std::string origin;  // the path it was read from
  std::string name, about;
  bool trim = false;  // its leaf is EMODT (MODIFY_TYPES to TRIM), else EMODPR
  bool reclaimer = false;
  size_t pages = 2, enclave_threads = 1, depth = 0;
  std::vector<Step> steps;
};

// The scheduling point an op reaches when it runs ("" for none).
std::string point_of(Op::Kind k);

// Reads and checks `path`. Throws std::invalid_argument naming the file and the place.
FlowFile read_flow_file(const std::string& path);
// The same from the file's text; `origin` names it in errors.
FlowFile parse_flow_file(const std::string& text, const std::string& origin);

}  // namespace sgxref::proofs::flows::file
