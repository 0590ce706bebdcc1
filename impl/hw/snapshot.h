// File: the read-only views of the emulator's architectural state that the Inspector
// (inspect.h) returns to tests, the model conformance checks and the bindings. A
// Snapshot compares equal before and after a refused leaf: that is how tests show that
// "nothing else changed".
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "hw/crypto/sha256.h"
#include "hw/epcm_entry.h"
#include "hw/leaf.h"
#include "hw/registers.h"

namespace sgxref::hw {

struct SecsView {
  uint64_t size = 0;
  uint64_t base = 0;
  uint32_t ssa_frame_size = 0;
  uint32_t miscselect = 0;
  uint64_t attributes = 0;
  uint64_t xfrm = 0;
  Digest mrenclave{};  // the final value once INIT; the running hash before
  Digest mrsigner{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  uint64_t eid = 0;
  bool initialized = false;

  bool operator==(const SecsView&) const = default;
};

// One translation in a CPU's TLB (tlb.h).
struct TlbEntryView {
  uint64_t page = 0;  // linear page
  uint32_t slot = 0;  // EPC slot
  bool r = false;
  bool w = false;
  bool x = false;

  bool operator==(const TlbEntryView&) const = default;
};

// A logical CPU's architectural state.
struct CpuView {
  bool enclave_mode = false;
  // In enclave mode: CR_ACTIVE_SECS (EPC slot), CR_TCS_LA, and the enclave's epoch when
  // this CPU entered.
  uint32_t secs = 0;
  uint64_t tcs = 0;
  uint32_t tcs_slot = 0;  // CR_TCS_PA, as an EPC slot
  uint64_t entry_epoch = 0;
  std::vector<TlbEntryView> tlb;  // by linear page
  Registers regs;

  bool operator==(const CpuView&) const = default;
};

// An enclave's tracking state (docs/hw.md "Tracking").
struct TrackingView {
  uint64_t epoch = 0;
  std::vector<uint32_t> cpus_inside;  // CPU ids, ascending
  // SECS.TRACKING: a CPU inside entered before the last ETRACK.
  bool incomplete = false;

  bool operator==(const TrackingView&) const = default;
};

struct Snapshot {
  std::vector<EpcmEntry> epcm;
  // FNV-1a of each valid page's bytes (0 for invalid pages, whose bytes software
  // cannot observe).
  std::vector<uint64_t> page_digest;
  // Running MRENCLAVE of every enclave still being built, by enclave id.
  std::map<uint64_t, Digest> measurements;
  uint64_t next_eid = 0;
  std::vector<CpuView> cpus;
  uint64_t paging_version = 0;  // CR_PAGING_VERSION: the version the next EWB takes

  bool operator==(const Snapshot&) const = default;
};

struct Counters {
  std::array<uint64_t, kLeafCount> calls{};
  std::array<uint64_t, kLeafCount> faults{};
  std::array<uint64_t, kLeafCount> codes{};  // returned a non-success SGX code
  uint32_t epc_valid = 0;
  uint64_t aex = 0;           // asynchronous exits, from faults and interrupts
  uint64_t interrupts = 0;    // IPIs that found their CPU in enclave mode
  uint64_t evictions = 0;     // successful EWBs
  uint64_t reloads = 0;       // successful ELDBs and ELDUs
  uint64_t mac_failures = 0;  // ELDB/ELDU answering SGX_MAC_COMPARE_FAIL
};

}  // namespace sgxref::hw
